"""The ledger statement's filters (R-PAY-4)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from kernel.filters import DateInput

from .models import Entry, EntryKind


class EntryFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), empty_label=_("All"), choices=EntryKind.choices)
    start = django_filters.DateFilter(
        label=_("From (inclusive)"), field_name="created_at", lookup_expr="date__gte", widget=DateInput
    )
    end = django_filters.DateFilter(
        label=_("To (inclusive)"), field_name="created_at", lookup_expr="date__lte", widget=DateInput
    )

    portal_fields = ("kind", "start", "end")

    class Meta:
        model = Entry
        fields: list[str] = []
