"""The policy and premium-invoice lists' filters, shared by the merchant portal and the API
(api.md: `GET /policies`)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import InvoiceStatus, PolicyStatus
from .models import Invoice, Policy


class PolicyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Sub-order or policy no."), max_length=64, method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), empty_label=_("All"), choices=PolicyStatus.choices)
    with_claims = django_filters.BooleanFilter(
        label=_("Only policies with claims"), widget=forms.CheckboxInput, method="filter_with_claims"
    )
    sub_order_id = django_filters.CharFilter(field_name="sub_order__sub_order_id", max_length=64)

    portal_fields = ("q", "status", "with_claims")

    class Meta:
        model = Policy
        fields: list[str] = []

    def search(self, queryset, name, q):
        return queryset.filter(Q(sub_order__sub_order_id__icontains=q) | Q(policy_no__icontains=q))

    def filter_with_claims(self, queryset, name, value):
        return queryset.filter(claims__isnull=False).distinct() if value else queryset


class InvoiceFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), empty_label=_("All"), choices=InvoiceStatus.choices)

    portal_fields = ("status",)

    class Meta:
        model = Invoice
        fields: list[str] = []
