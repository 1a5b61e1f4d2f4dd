"""The claim and refund-request lists' filters, one FilterSet each, shared by the merchant
portal and the API (api.md: `GET /claims`, `GET /refund-requests`)."""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.filters import AwareDateTimeFilter, ChoicesFilter

from .choices import OPEN_STATES, BusinessType, Kind
from .choices import ClaimStatus as S
from .models import Claim, ClaimFlag, Evidence, RefundRequest
from .services import MERCHANT_EVIDENCE_STATES

# The portal's groups of states, beside the states themselves.
OPEN, RECEIPT_CHECK = "open", "receipt_check"
GROUPS = {OPEN: OPEN_STATES, RECEIPT_CHECK: MERCHANT_EVIDENCE_STATES}
OVERDUE, WITHIN_DAY, ANY_DEADLINE = "overdue", "24h", "any"


def changed_since(moment):
    """A claim whose representation changed since `moment`: its own row, or a flag or an evidence
    file added beside it (those do not touch the claim's row)."""
    return (
        Q(updated_at__gte=moment)
        | Exists(ClaimFlag.objects.filter(claim=OuterRef("pk"), raised_at__gte=moment))
        | Exists(Evidence.objects.filter(claim=OuterRef("pk"), uploaded_at__gte=moment))
    )


class ClaimFilterSet(django_filters.FilterSet):
    status = ChoicesFilter(
        label=_("Status"),
        choices=[
            (OPEN, _("All open claims")),
            (RECEIPT_CHECK, _("Parcels to check (in transit or delivered)")),
            *S.choices,
        ],
        method="filter_status",
    )
    deadline = django_filters.ChoiceFilter(
        label=_("Deadline"),
        empty_label=_("Any or none"),
        choices=[
            (ANY_DEADLINE, _("Has an open deadline")),
            (WITHIN_DAY, _("Due within 24 hours")),
            (OVERDUE, _("Overdue")),
        ],
        method="filter_deadline",
    )
    q = django_filters.CharFilter(label=_("Search"), max_length=64, method="search")
    updated_since = AwareDateTimeFilter(method="filter_changed_since")
    sub_order_id = django_filters.CharFilter(field_name="sub_order__sub_order_id", max_length=64)
    refund_id = django_filters.CharFilter(field_name="refund_request__refund_id", max_length=64)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)

    # What the portal's list offers (the other filters work there too, from the address).
    portal_fields = ("status", "deadline", "q")

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_status(self, queryset, name, values):
        states = {state for value in values for state in GROUPS.get(value, (value,))}
        return queryset.filter(status__in=states) if states else queryset

    def filter_deadline(self, queryset, name, value):
        now = timezone.now()
        queryset = queryset.with_deadline().filter(deadline__isnull=False).order_by("deadline", "id")
        if value == WITHIN_DAY:
            return queryset.filter(deadline__lt=now + dt.timedelta(hours=24))
        if value == OVERDUE:
            return queryset.filter(deadline__lt=now)
        return queryset

    def search(self, queryset, name, q):
        return queryset.filter(
            Q(claim_id__icontains=q)
            | Q(sub_order__sub_order_id__icontains=q)
            | Q(refund_request__refund_id__icontains=q)
        )

    def filter_changed_since(self, queryset, name, moment):
        return queryset.filter(changed_since(moment))


class RefundRequestFilterSet(django_filters.FilterSet):
    business_type = django_filters.ChoiceFilter(
        label=_("Business type"), empty_label=_("All"), choices=BusinessType.choices
    )
    q = django_filters.CharFilter(label=_("Search"), max_length=64, method="search")
    sub_order_id = django_filters.CharFilter(field_name="sub_order__sub_order_id", max_length=64)

    portal_fields = ("business_type", "q")

    class Meta:
        model = RefundRequest
        fields: list[str] = []

    def search(self, queryset, name, q):
        return queryset.filter(Q(refund_id__icontains=q) | Q(sub_order__sub_order_id__icontains=q))
