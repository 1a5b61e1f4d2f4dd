"""Claims: listed and read in scope, and each action on one (POST /claims/{id}/<action>)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema as schema
from rest_framework.response import Response

from claims import services as claims
from claims.filters import ClaimFilterSet
from claims.models import Claim
from integrations.idempotency import idempotent

from ..schema import action_schema, errors
from ..serializers.claims import (
    AppealInput,
    AtInput,
    ClaimSerializer,
    ConfirmInput,
    DecisionInput,
    EmptyInput,
    ReceiptInput,
    RefundCompletedInput,
    ReturnShipmentInput,
    SendBackInput,
)
from .base import INSURER, MERCHANT, PLATFORM, ApiListView, ApiView, parse
from .loaders import attach_history, claim_out, claims_for


class ClaimListView(ApiListView):
    serializer_class = ClaimSerializer
    queryset = Claim.objects.none()  # the schema's model; rows come from the loaders
    filterset_class = ClaimFilterSet

    @schema(
        operation_id="claims_list",
        responses={200: ClaimSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        queryset = self.filter_queryset(claims_for(self.actor))
        page = attach_history(self.paginate_queryset(queryset))
        return self.get_paginated_response(ClaimSerializer(page, many=True, context=self.get_serializer_context()).data)


class ClaimDetailView(ApiView):
    @schema(operation_id="claims_retrieve", responses={200: ClaimSerializer, **errors(404)})
    def get(self, request, claim_id):
        return Response(claim_out(self.actor, claim_id, self.get_serializer_context()))


class ClaimAction(ApiView):
    """POST /claims/{id}/<action>: find the claim in scope, parse, call the service, answer the claim."""

    body = EmptyInput

    def act(self, claim, data):
        raise NotImplementedError

    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        self.act(claim, parse(self.body, request.data))
        return Response(claim_out(self.actor, claim_id, self.get_serializer_context()))


@action_schema("claims_return_shipment", _("The buyer's return tracking number (R-RET-2)"), ReturnShipmentInput, 422)
class ReturnShipmentView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = ReturnShipmentInput

    def act(self, claim, data):
        claims.record_return_shipment(
            claim, self.actor, carrier=data["carrier"], tracking_number=data["tracking_number"], at=data.get("at")
        )


@action_schema("claims_delivered", _("The returned parcel reached the merchant (R-RET-5 starts)"), AtInput)
class DeliveredView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = AtInput

    def act(self, claim, data):
        claims.mark_delivered(claim, self.actor, at=data.get("at"))


@action_schema(
    "claims_refund_completed",
    _("The merchant's refund to the buyer went through (R-PAY-1)"),
    RefundCompletedInput,
    422,
)
class RefundCompletedView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = RefundCompletedInput

    def act(self, claim, data):
        claims.complete_refund(
            claim, self.actor, at=data.get("at"), buyer_payout_account=data.get("buyer_payout_account")
        )


@action_schema("claims_appeal", _("The buyer appeals the decision, once (R-DIS-1)"), AppealInput, 422)
class AppealView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = AppealInput

    def act(self, claim, data):
        claims.appeal(claim, self.actor, reason=data["reason"])


@action_schema(
    "claims_decision",
    _("The insurer's decision, or its request for more evidence (R-REV-2, R-REV-3)"),
    DecisionInput,
    422,
    examples=[
        OpenApiExample(
            "Partial approval",
            value={
                "outcome": "partially_approve",
                "problem_code": "performance_fault",
                "approved_amount": "120.00",
                "reason": "Only the lid is faulty.",
            },
            request_only=True,
        )
    ],
)
class DecisionView(ClaimAction):
    roles = {"POST": INSURER}
    body = DecisionInput

    def act(self, claim, data):
        claims.decide(
            claim,
            data["outcome"],
            self.actor,
            problem_code=data["problem_code"],
            approved_amount=data["approved_amount"],
            reason=data["reason"],
        )


@action_schema(
    "claims_decision_confirm",
    _("A second person confirms the decision awaiting approval: it takes effect now (R-AUTH-1)"),
    ConfirmInput,
)
class ConfirmDecisionView(ClaimAction):
    roles = {"POST": INSURER}
    body = ConfirmInput

    def act(self, claim, data):
        claims.confirm(claims.awaiting(claim), self.actor, reason=data["reason"])


@action_schema(
    "claims_decision_send_back",
    _("A second person sends the decision awaiting approval back, with a reason (R-AUTH-1)"),
    SendBackInput,
    422,
)
class SendBackDecisionView(ClaimAction):
    roles = {"POST": INSURER}
    body = SendBackInput

    def act(self, claim, data):
        claims.send_back(claims.awaiting(claim), self.actor, reason=data["reason"])


@action_schema(
    "claims_receipt",
    _("The merchant confirms or rejects the returned parcel (R-RET-3)"),
    ReceiptInput,
    422,
    examples=[
        OpenApiExample(
            "Empty parcel",
            value={"outcome": "reject", "reason_code": "empty_parcel", "note": "The box arrived empty."},
            request_only=True,
        )
    ],
)
class ReceiptView(ClaimAction):
    roles = {"POST": MERCHANT}
    body = ReceiptInput

    def act(self, claim, data):
        if data["outcome"] == "confirm":
            claims.confirm_receipt(claim, self.actor)
        else:
            claims.reject_receipt(claim, self.actor, reason_code=data["reason_code"], note=data["note"])


@action_schema(
    "claims_remind_buyer", _("Remind the buyer to enter the return tracking number (R-RET-2)"), EmptyInput, 422
)
class RemindBuyerView(ClaimAction):
    roles = {"POST": MERCHANT}

    def act(self, claim, data):
        claims.remind_buyer(claim, self.actor)
