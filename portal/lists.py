"""What every portal list does: one page at a time, or all of it as CSV."""

import csv
import datetime as dt

from django.http import StreamingHttpResponse
from django.utils import timezone

from kernel.pagination import BoundedPaginator, page_number

from .shortcuts import page

PAGE_SIZE = 25
# A cell a spreadsheet would run as a formula: written as text instead (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def paginate(request, queryset, per_page=PAGE_SIZE):
    number = request.GET.get("page")
    return BoundedPaginator(queryset, per_page, near_page=page_number(number)).get_page(number)


def wants_csv(request):
    return request.GET.get("format") == "csv"


def filtered_list(request, template, filters, rows, *, csv, csv_rows=None, context=None):
    """What every portal list answers: a page of the filtered `rows` in `template` (a
    portal/list.html), or with ?format=csv all of them as `csv`, a (filename, columns) pair;
    `csv_rows` where the export reads more of a row than the page does. `context(rows)` is what the
    page shows beside its rows; an export does not compute it."""
    if wants_csv(request):
        filename, columns = csv
        return csv_response(filename, columns, (rows if csv_rows is None else csv_rows).iterator(chunk_size=500))
    extra = context(rows) if context else {}
    return page(request, template, {"page_obj": paginate(request, rows), "filters": filters, **extra})


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, columns, rows):
    """Stream `rows` as CSV; `columns` are (header, function of a row). UTF-8 with a byte-order
    mark, so spreadsheet programs read the Chinese."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        yield writer.writerow([str(header) for header, _get in columns])
        for row in rows:
            yield writer.writerow([_cell(get(row)) for _header, get in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
