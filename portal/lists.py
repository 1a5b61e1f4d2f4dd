"""What every portal list does: one page at a time, or all of it as CSV."""

from kernel.csv import MERCHANT, columns_for, export
from kernel.pagination import BoundedPaginator, page_number

from .shortcuts import page

PAGE_SIZE = 25


def paginate(request, queryset, per_page=PAGE_SIZE):
    number = request.GET.get("page")
    return BoundedPaginator(queryset, per_page, near_page=page_number(number)).get_page(number)


def wants_csv(request):
    return request.GET.get("format") == "csv"


def filtered_list(request, template, filters, rows, *, csv, csv_rows=None, context=None):
    """What every portal list answers: a page of the filtered `rows` in `template` (a
    portal/list.html), or with ?format=csv all of them as `csv`, a (name, columns) pair, the
    columns being the list's one definition (the merchant's share of it is written); `csv_rows`
    where the export reads more of a row than the page does. `context(rows)` is what the page
    shows beside its rows; an export does not compute it."""
    if wants_csv(request):
        name, columns = csv
        objects = (rows if csv_rows is None else csv_rows).iterator(chunk_size=500)
        return export(name, columns_for(columns, MERCHANT), objects)
    extra = context(rows) if context else {}
    return page(request, template, {"page_obj": paginate(request, rows), "filters": filters, **extra})
