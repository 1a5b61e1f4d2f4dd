"""What the API reads and writes (api.md). Plain serializers: they parse; the services decide.

Money is a string with 2 decimals, times ISO 8601 with their offset."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.choices import BusinessType, BuyerLevel, ClaimStatus, Kind, Outcome, Side
from claims.workflow import DEADLINES
from kernel.timeutil import SHANGHAI
from policies.choices import NotCovered, OrderEventType

MAX_BATCH = 1000
# Event times outside this span are typing mistakes, and would overflow the deadline arithmetic.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


class Time(serializers.DateTimeField):
    """An ISO 8601 time that must carry its UTC offset; shown in Asia/Shanghai with its offset."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-03-01T10:00:00+08:00."),
        "out_of_range": _("The time must lie between the years 2000 and 2100."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", SHANGHAI)
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        if not (EARLIEST <= value <= LATEST):
            self.fail("out_of_range")
        return super().enforce_timezone(value)


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


def _id(**kwargs):
    return serializers.CharField(max_length=64, **kwargs)


# -- input ---------------------------------------------------------------------------------


class OrderInput(serializers.Serializer):
    sub_order_id = _id()
    order_id = _id()
    shop_id = _id()
    buyer_id = _id()
    product_id = _id()
    warranty_plan = serializers.CharField(
        max_length=40, required=False, allow_null=True, allow_blank=True, default=None
    )
    paid_amount = Money(help_text=_("Greater than 0."))
    placed_at = Time()


class OrderBatchInput(serializers.Serializer):
    orders = OrderInput(many=True, min_length=1, max_length=MAX_BATCH)


class OrderEventInput(serializers.Serializer):
    sub_order_id = _id()
    type = serializers.ChoiceField(choices=OrderEventType.choices)
    at = Time()


class OrderEventBatchInput(serializers.Serializer):
    events = OrderEventInput(many=True, min_length=1, max_length=MAX_BATCH)


class RefundRequestInput(serializers.Serializer):
    refund_id = _id()
    sub_order_id = _id()
    kind = serializers.ChoiceField(choices=Kind.choices)
    reason = serializers.CharField(
        max_length=40, help_text=_("quality, not_as_described, damaged, or another platform reason")
    )
    amount = Money(help_text=_("Greater than 0 and at most the sub-order's paid amount."))
    description = serializers.CharField(max_length=2000, allow_blank=True, default="")
    requested_at = Time()
    buyer_level = serializers.ChoiceField(
        choices=[(level.value, level.label) for level in (BuyerLevel.HIGH, BuyerLevel.NORMAL, BuyerLevel.LOW)],
        required=False,
        allow_null=True,
    )


class EvidenceInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("image/jpeg, image/png, image/webp or video/mp4; at most 20 MB."))
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")


class ReturnShipmentInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=60, allow_blank=True)
    at = Time(required=False, help_text=_("When the buyer sent the parcel; now if left out."))


class AtInput(serializers.Serializer):
    at = Time(required=False, help_text=_("When it happened on the platform; now if left out."))


class RefundCompletedInput(AtInput):
    buyer_payout_account = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("The buyer's Alipay account for the return-shipping allowance (R-PAY-6); owed without it."),
    )


class AppealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class DecisionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    problem_code = serializers.CharField(max_length=40, allow_blank=True, default="")
    approved_amount = Money(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class ReceiptInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("confirm", _("Confirm")), ("reject", _("Reject"))])
    reason_code = serializers.CharField(
        max_length=20,
        allow_blank=True,
        default="",
        help_text=_("For a rejection: missing_items, empty_parcel, wrong_item or fake_logistics."),
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class EmptyInput(serializers.Serializer):
    pass


class BuyerReportInput(serializers.Serializer):
    claim_id = serializers.CharField(max_length=32, required=False)
    policy_no = serializers.CharField(max_length=32, required=False)
    note = serializers.CharField(max_length=2000, allow_blank=True)


# -- query parameters ----------------------------------------------------------------------


class CommaSeparatedChoices(serializers.CharField):
    def __init__(self, choices, **kwargs):
        self.choices = [value for value, _label in choices]
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        values = [v.strip() for v in super().to_internal_value(data).split(",") if v.strip()]
        unknown = [v for v in values if v not in self.choices]
        if unknown:
            raise serializers.ValidationError(_("Unknown: %s.") % ", ".join(unknown))
        return values


class ClaimFilter(serializers.Serializer):
    status = CommaSeparatedChoices(
        ClaimStatus.choices, required=False, help_text=_("One state of domain.md §14, or several separated by commas.")
    )
    updated_since = Time(required=False)
    sub_order_id = _id(required=False)
    refund_id = _id(required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)


class RefundRequestFilter(serializers.Serializer):
    sub_order_id = _id(required=False)
    business_type = serializers.ChoiceField(choices=BusinessType.choices, required=False)


class PolicyFilter(serializers.Serializer):
    sub_order_id = _id(required=False)


# -- output --------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class OrderResultSerializer(serializers.Serializer):
    sub_order_id = serializers.CharField()
    covered = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=NotCovered.choices, allow_null=True, help_text=_("Why it is not covered; null when covered.")
    )

    def to_representation(self, order):
        return {
            "sub_order_id": order.sub_order_id,
            "covered": order.covered,
            "reason": order.not_covered_reason or None,
        }


class OrderBatchSerializer(serializers.Serializer):
    orders = OrderResultSerializer(many=True)


class OrderEventResultSerializer(serializers.Serializer):
    sub_order_id = serializers.CharField()
    type = serializers.ChoiceField(choices=OrderEventType.choices)
    result = serializers.ChoiceField(
        choices=[("applied", "applied"), ("replayed", "replayed"), ("ignored", "ignored"), ("refused", "refused")]
    )
    code = serializers.CharField(allow_blank=True, help_text=_("Why a refused event was refused."))


class OrderEventBatchSerializer(serializers.Serializer):
    events = OrderEventResultSerializer(many=True)


class PolicySerializer(serializers.Serializer):
    policy_no = serializers.CharField()
    sub_order_id = serializers.CharField(source="sub_order.sub_order_id")
    shop_id = serializers.CharField(source="shop.shop_id")
    plan = serializers.CharField(source="plan.code")
    insurer = serializers.CharField(source="insurer.code")
    premium = Money()
    rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    status = serializers.CharField()
    issued_at = Time()
    cover_starts_at = Time(allow_null=True)
    cover_ends_at = Time(allow_null=True)
    cancelled_at = Time(allow_null=True)
    claim_paid = serializers.BooleanField()
    claims = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_claims(self, policy):
        return [claim.claim_id for claim in policy.claims.all()]


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    problem_code = serializers.CharField(allow_blank=True)
    approved_amount = Money(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    decided_at = Time()
    automatic = serializers.BooleanField()
    on_appeal = serializers.BooleanField()


class FlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    raised_at = Time()


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    uploaded_at = Time()
    file_url = serializers.SerializerMethodField(help_text=_("Download it with the same token."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_file_url(self, evidence):
        path = reverse("api:evidence-file", kwargs={"claim_id": evidence.claim.claim_id, "evidence_id": evidence.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class HistorySerializer(serializers.Serializer):
    transition = serializers.CharField()
    source = serializers.CharField()
    to = serializers.CharField(source="target")
    at = Time()
    by_role = serializers.CharField(source="role")

    def get_fields(self):
        # `from` is a Python keyword: the field is declared as `source` and renamed here.
        renamed = {}
        for name, field in super().get_fields().items():
            if name == "source":
                name, field.source = "from", "source"
            renamed[name] = field
        return renamed


class ReturnAddressSerializer(serializers.Serializer):
    address = serializers.CharField()
    contact = serializers.CharField()
    phone = serializers.CharField()


class ReturnShipmentSerializer(serializers.Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = Time(source="return_shipped_at", allow_null=True)
    delivered_at = Time(allow_null=True)


class AppealSerializer(serializers.Serializer):
    reason = serializers.CharField()
    filed_at = Time()
    outcome = serializers.CharField(allow_blank=True)
    resolution_note = serializers.CharField(allow_blank=True)
    resolved_at = Time(allow_null=True)


class ReceiptDisputeSerializer(serializers.Serializer):
    reason_code = serializers.CharField()
    note = serializers.CharField()
    filed_at = Time()
    outcome = serializers.CharField(allow_blank=True)
    resolved_at = Time(allow_null=True)


class DeadlinesSerializer(serializers.Serializer):
    """The clock running in the claim's state (domain.md §14), and the appeal window while open."""

    review_due_at = Time(required=False)
    evidence_due_at = Time(required=False)
    return_due_at = Time(required=False)
    receipt_due_at = Time(required=False)
    refund_due_by = Time(required=False)
    appeal_until = Time(required=False)


class NoteOutSerializer(serializers.Serializer):
    """An internal note as insurer clients read it (R-NOTE-2)."""

    text = serializers.CharField()
    at = Time()
    by_role = serializers.CharField(source="role")
    by = serializers.CharField(source="actor_label", help_text=_("The person's user name or the client's name."))


RETURN_ADDRESS_STATES = (
    ClaimStatus.AWAITING_RETURN,
    ClaimStatus.RETURN_IN_TRANSIT,
    ClaimStatus.AWAITING_RECEIPT,
    ClaimStatus.RECEIPT_DISPUTED,
    ClaimStatus.REFUND_DUE,
    ClaimStatus.REFUNDED,
    ClaimStatus.PAID,
    ClaimStatus.UNDER_APPEAL,
    ClaimStatus.CLOSED_NO_RETURN,
    ClaimStatus.CLOSED_RECEIPT_REJECTED,
)


class ClaimSerializer(serializers.Serializer):
    """A claim as api.md lists it. Never staff identities, assignees, audit notes or thresholds.

    Expects the related rows the views load in bulk (`views.claims_for`, `attach_history`)."""

    claim_id = serializers.CharField()
    refund_id = serializers.CharField(source="refund_request.refund_id")
    sub_order_id = serializers.CharField(source="sub_order.sub_order_id")
    policy_no = serializers.CharField(source="policy.policy_no")
    shop_id = serializers.CharField(source="shop.shop_id")
    insurer = serializers.CharField(source="insurer.code")
    kind = serializers.ChoiceField(choices=Kind.choices)
    reason = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    requested_amount = Money()
    approved_amount = Money(allow_null=True)
    payout_amount = Money(allow_null=True)
    shipping_allowance = Money(allow_null=True)
    opened_at = Time()
    updated_at = Time()
    review_due_at = Time(allow_null=True)
    decision = serializers.SerializerMethodField()
    return_address = serializers.SerializerMethodField(help_text=_("Once approved, for return_refund only."))
    return_shipment = serializers.SerializerMethodField()
    flags = FlagSerializer(many=True, source="api_flags")
    deadlines = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, source="api_evidence")
    appeal = serializers.SerializerMethodField()
    receipt_dispute = serializers.SerializerMethodField()
    history = HistorySerializer(many=True, source="api_history")
    notes = serializers.SerializerMethodField(
        help_text=_("Internal notes (R-NOTE-2): listed for insurer clients, always empty for the others.")
    )

    @extend_schema_field(NoteOutSerializer(many=True))
    def get_notes(self, claim):
        return NoteOutSerializer(getattr(claim, "api_notes", ()), many=True).data

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, claim):
        decisions = sorted(claim.api_decisions, key=lambda d: (d.decided_at, d.pk))
        return DecisionSerializer(decisions[-1]).data if decisions else None

    @extend_schema_field(ReturnAddressSerializer(allow_null=True))
    def get_return_address(self, claim):
        if claim.kind != Kind.RETURN_REFUND or claim.approved_amount is None:
            return None
        if claim.status not in RETURN_ADDRESS_STATES:
            return None
        shop = claim.shop
        return {"address": shop.return_address, "contact": shop.return_contact, "phone": shop.return_phone}

    @extend_schema_field(ReturnShipmentSerializer(allow_null=True))
    def get_return_shipment(self, claim):
        return ReturnShipmentSerializer(claim).data if claim.tracking_number else None

    @extend_schema_field(DeadlinesSerializer)
    def get_deadlines(self, claim):
        deadlines = {}
        column, _label = DEADLINES.get(claim.status, (None, None))
        if column and getattr(claim, column):
            deadlines[column] = getattr(claim, column)
        appeal = _related(claim, "appeal_record")
        if claim.is_appealable() and appeal is None and claim.decided_at:
            until = claim.decided_at + dt.timedelta(days=claim.appeal_days)
            if until >= timezone.now():
                deadlines["appeal_until"] = until
        return DeadlinesSerializer(deadlines).data

    @extend_schema_field(AppealSerializer(allow_null=True))
    def get_appeal(self, claim):
        appeal = _related(claim, "appeal_record")
        return AppealSerializer(appeal).data if appeal else None

    @extend_schema_field(ReceiptDisputeSerializer(allow_null=True))
    def get_receipt_dispute(self, claim):
        dispute = _related(claim, "receipt_dispute")
        return ReceiptDisputeSerializer(dispute).data if dispute else None


def _related(obj, name):
    """A reverse one-to-one loaded with select_related, or None when there is none."""
    return getattr(obj, name, None)


class RefundRequestSerializer(serializers.Serializer):
    refund_id = serializers.CharField()
    sub_order_id = serializers.CharField(source="sub_order.sub_order_id")
    shop_id = serializers.CharField(source="shop.shop_id")
    kind = serializers.ChoiceField(choices=Kind.choices)
    reason = serializers.CharField()
    amount = Money()
    description = serializers.CharField(allow_blank=True)
    requested_at = Time()
    received_at = Time(source="created_at")
    business_type = serializers.ChoiceField(choices=BusinessType.choices)
    not_routed_because = serializers.SerializerMethodField(
        help_text=_(
            "The first rule that kept the request out of the claim flow: R-POL-1, R-ROUTE-2, R-WIN-1, R-ABUSE-2."
        )
    )
    claim = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_not_routed_because(self, request):
        return request.not_routed_because or None

    @extend_schema_field(ClaimSerializer(allow_null=True))
    def get_claim(self, request):
        claim = _related(request, "claim")
        return ClaimSerializer(claim, context=self.context).data if claim else None


class BuyerReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim_id = serializers.SerializerMethodField()
    policy_no = serializers.SerializerMethodField()
    note = serializers.CharField()
    created_at = Time()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_claim_id(self, report):
        return report.claim.claim_id if report.claim_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_policy_no(self, report):
        return report.policy.policy_no if report.policy_id else None
