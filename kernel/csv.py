"""The one CSV writer: streamed, UTF-8 with a byte-order mark (spreadsheet programs then read the
Chinese right), and one guard against formula injection for every export, staff's and merchants'.

A list's columns are written once, in its app (`claims/columns.py`, …), as `Column`s; each column
says who it is for, so the admin and the portal export the same definition."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from .timeutil import SHANGHAI

# A cell a spreadsheet would run as a formula (CSV injection) is written as text instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STAFF = "staff"
MERCHANT = "merchant"
EVERYONE = frozenset({STAFF, MERCHANT})


@dataclass(frozen=True)
class Column:
    """One column of a list's export: its header, how a row gives its value, and who sees it."""

    header: Any  # a (lazily) translated string
    get: Callable[[Any], object]
    audience: frozenset[str] = EVERYONE


def staff_only(header: Any, get: Callable[[Any], object]) -> Column:
    return Column(header, get, frozenset({STAFF}))


def merchant_only(header: Any, get: Callable[[Any], object]) -> Column:
    return Column(header, get, frozenset({MERCHANT}))


def columns_for(columns: Iterable[Column], audience: str) -> list[Column]:
    return [column for column in columns if audience in column.audience]


def cell(value: object) -> str:
    """Text as a spreadsheet will show it. Buyers' and merchants' words are never run as formulas;
    a number stays a number (a refund of -12.50 is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_response(name: str, header: Sequence[Any], rows: Iterable[Iterable[object]]) -> StreamingHttpResponse:
    """`rows` streamed as CSV under `header`, so a large export does not sit in memory. The file is
    called `name` and the Shanghai minute it was made."""
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([cell(h) for h in header])
        for row in rows:
            yield writer.writerow([cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def export(name: str, columns: Sequence[Column], objects: Iterable[Any]) -> StreamingHttpResponse:
    """The objects, one row each, in the given columns."""
    rows = ([column.get(obj) for column in columns] for obj in objects)
    return csv_response(name, [column.header for column in columns], rows)
