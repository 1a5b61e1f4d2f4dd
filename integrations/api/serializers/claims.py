"""Claims: the actions' bodies, the list's query parameters and a claim as api.md shows it."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.choices import ClaimStatus, Kind, Outcome
from claims.models.authority import ApprovalKind
from claims.workflow import DEADLINES

from .evidence import EvidenceSerializer
from .fields import Money, Time, related_row


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
    problem_code = serializers.CharField(
        max_length=40,
        allow_blank=True,
        default="",
        help_text=_(
            "For an approval: one of the claim's plan's codes for the buyer's reason (R-PLAN-1); each plan "
            "has its own taxonomy, listed by GET /api/v1/plans/{code}/problem-codes."
        ),
    )
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


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    problem_code = serializers.CharField(allow_blank=True)
    problem_label = serializers.CharField(read_only=True, help_text=_("The code in words, from its plan (R-PLAN-1)."))
    approved_amount = Money(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    decided_at = Time()
    automatic = serializers.BooleanField()
    on_appeal = serializers.BooleanField()


class PendingApprovalSerializer(serializers.Serializer):
    """R-AUTH-1: a decision above its author's authority, not in effect until a second person
    confirms it (POST …/decision/confirm) or sends it back (POST …/decision/send-back)."""

    kind = serializers.ChoiceField(choices=ApprovalKind.choices)
    outcome = serializers.CharField(allow_blank=True)
    problem_code = serializers.CharField(allow_blank=True)
    approved_amount = Money(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    proposed_at = Time()
    by_role = serializers.CharField(source="proposed_role")


class ConfirmInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, allow_blank=True, default="", help_text=_("Optional; kept in the claim's history.")
    )


class SendBackInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, help_text=_("Required: why it goes back."))


class FlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    raised_at = Time()


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

    Expects the related rows the views load in bulk (`views.loaders.claims_for`, `attach_history`)."""

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
    pending_approval = serializers.SerializerMethodField(
        help_text=_(
            "R-AUTH-1: the decision awaiting a second approval (not in effect yet), for insurer clients; "
            "null when none waits, and always null for the others."
        )
    )

    @extend_schema_field(PendingApprovalSerializer(allow_null=True))
    def get_pending_approval(self, claim):
        waiting = getattr(claim, "api_pending", ())
        return PendingApprovalSerializer(waiting[0]).data if waiting else None

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
        appeal = related_row(claim, "appeal_record")
        if claim.is_appealable() and appeal is None and claim.decided_at:
            until = claim.decided_at + dt.timedelta(days=claim.appeal_days)
            if until >= timezone.now():
                deadlines["appeal_until"] = until
        return DeadlinesSerializer(deadlines).data

    @extend_schema_field(AppealSerializer(allow_null=True))
    def get_appeal(self, claim):
        appeal = related_row(claim, "appeal_record")
        return AppealSerializer(appeal).data if appeal else None

    @extend_schema_field(ReceiptDisputeSerializer(allow_null=True))
    def get_receipt_dispute(self, claim):
        dispute = related_row(claim, "receipt_dispute")
        return ReceiptDisputeSerializer(dispute).data if dispute else None
