"""What every portal list does: one page at a time, or all of it as CSV."""

import csv
import datetime as dt

from django.http import StreamingHttpResponse
from django.utils import timezone

from zhibao.pagination import BoundedPaginator, page_number

PAGE_SIZE = 25
# A cell a spreadsheet would run as a formula: written as text instead (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def paginate(request, queryset, per_page=PAGE_SIZE):
    number = request.GET.get("page")
    return BoundedPaginator(queryset, per_page, near_page=page_number(number)).get_page(number)


def wants_csv(request):
    return request.GET.get("format") == "csv"


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
