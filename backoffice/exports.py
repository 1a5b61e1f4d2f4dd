"""CSV exports: UTF-8 with a byte-order mark so spreadsheet programs read Chinese correctly."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.timeutil import SHANGHAI

from .actions import confirmed_bulk_action

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    def write(self, value):
        return value


def cell(value):
    """Text as a spreadsheet will show it. Buyers' and merchants' words are never run as formulas."""
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(name, header, rows):
    """Streamed, so a large export does not sit in memory."""
    writer = csv.writer(_Line())

    def lines():
        yield "\ufeff" + writer.writerow([cell(h) for h in header])
        for row in rows:
            yield writer.writerow([cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def export_action(name, columns):
    """A bulk action exporting the selected rows; `columns` are (header, function of the row)."""

    def perform(modeladmin, request, queryset, data):
        rows = ([get(obj) for _header, get in columns] for obj in queryset.iterator(chunk_size=500))
        return csv_response(name, [header for header, _get in columns], rows)

    return confirmed_bulk_action(
        "export_csv", description=_("Export selected as CSV"), permission="view", perform=perform
    )
