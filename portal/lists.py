"""What every portal list does: filtered by its FilterSet, one page at a time, or all of it as CSV."""

from django.contrib import messages
from django.utils.translation import gettext as _

from kernel.csv import MERCHANT, columns_for, export
from kernel.pagination import BoundedPaginator, page_number
from kernel.replica import for_report

from .shortcuts import page

PAGE_SIZE = 25


class Filters:
    """A list's FilterSet (the one the API uses) as the portal shows it: the fields the portal
    offers (`portal_fields`), and `qs`, the rows. A value that is not understood is left out of
    the filtering and said so, beside its field and in a message: the page never fails."""

    def __init__(self, request, filterset_class, queryset):
        self.filterset = filterset_class(request.GET, queryset=queryset, request=request)
        form = self.filterset.form
        self.fields = [form[name] for name in filterset_class.portal_fields]
        if not self.filterset.is_valid():
            labels = ", ".join(str(form.fields[name].label or name) for name in form.errors)
            messages.warning(request, _("These filters were not understood and were left out: %s.") % labels)

    def __iter__(self):
        return iter(self.fields)

    @property
    def qs(self):
        return self.filterset.qs

    @property
    def active(self):
        data = getattr(self.filterset.form, "cleaned_data", {})
        return any(value not in ("", None, False, []) for value in data.values())


class Sorting:
    """A list's sortable columns: `keys` maps the name the address uses (?sort=opened, or
    ?sort=-opened for the other way) to the field it orders by; `default` (newest first) holds
    when the address names none. A name the list does not offer is ignored, as a filter is."""

    def __init__(self, request, keys, default):
        self.request, self.keys = request, keys
        asked = request.GET.get("sort", "")
        self.asked = asked.lstrip("-") in keys
        self.current = asked if self.asked else default

    @property
    def key(self):
        return self.current.lstrip("-")

    @property
    def descending(self):
        return self.current.startswith("-")

    def apply(self, rows):
        if not self.asked and rows.query.order_by:
            return rows  # a filter's own order (the deadline filter: the nearest first)
        sign = "-" if self.descending else ""
        return rows.order_by(f"{sign}{self.keys[self.key]}", f"{sign}id")

    def header(self, key):
        """A column header's link and its aria-sort: the sorted column reverses on a click, any
        other sorts ascending. The filters stay; the page starts again at the first."""
        query = self.request.GET.copy()
        query.pop("page", None)
        if key == self.key:
            query["sort"] = key if self.descending else f"-{key}"
            state = "descending" if self.descending else "ascending"
        else:
            query["sort"], state = key, None
        return f"?{query.urlencode()}", state


def paginate(request, queryset, per_page=PAGE_SIZE):
    number = request.GET.get("page")
    return BoundedPaginator(queryset, per_page, near_page=page_number(number)).get_page(number)


def wants_csv(request):
    return request.GET.get("format") == "csv"


def filtered_list(request, template, filters, rows, *, csv, sorts, csv_rows=None, context=None):
    """What every portal list answers: a page of the filtered `rows` in `template` (a
    portal/list.html), or with ?format=csv all of them as `csv`, a (name, columns) pair, the
    columns being the list's one definition (the merchant's share of it is written); `csv_rows`
    where the export reads more of a row than the page does. `sorts` is the list's (keys,
    default) for Sorting; the page and the export come in its order. `context(rows)` is what the
    page shows beside its rows; an export does not compute it."""
    sorting = Sorting(request, *sorts)
    if wants_csv(request):
        name, columns = csv
        # From the read replica when there is one (kernel.replica); streamed after the view returns.
        objects = for_report(sorting.apply(rows if csv_rows is None else csv_rows)).iterator(chunk_size=500)
        return export(name, columns_for(columns, MERCHANT), objects)
    extra = context(rows) if context else {}
    shown = paginate(request, sorting.apply(rows))
    return page(request, template, {"page_obj": shown, "filters": filters, "sorting": sorting, **extra})
