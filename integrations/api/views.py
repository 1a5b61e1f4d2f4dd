"""The integration API v1 (api.md). Each view parses, finds the object in the client's scope
(`for_actor`, so anything outside it is a 404 exactly like a missing one) and calls the same
service the admin and the portal call."""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema_view,
)
from drf_spectacular.utils import extend_schema as schema
from rest_framework import generics
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import histories
from claims import services as claims
from claims.choices import Side
from claims.evidence import ACCEPTED
from claims.models import Claim, ClaimFlag, ClaimNote, Decision, Evidence, RefundRequest
from claims.workflow import TRANSITIONS
from integrations.idempotency import HEADER, idempotent
from integrations.models import ClientRole
from kernel.errors import NotFound
from policies import services as policies
from policies.models import Policy

from . import serializers as s
from .pagination import NewestFirst

PLATFORM = {ClientRole.PLATFORM}
INSURER = {ClientRole.INSURER}
MERCHANT = {ClientRole.MERCHANT}
NOTE_READERS = TRANSITIONS["add_note"][1]

ERRORS = {
    400: _("Malformed: a field is missing or of the wrong type (code `invalid` or `malformed`)."),
    401: _("No token, or a bad or revoked one."),
    403: _("The client's role may not do this."),
    404: _("Not found, or outside the client's insurer or shop."),
    409: _(
        "A conflict: `transition_not_allowed` from the claim's current state, `claim_open` (R-POL-5), "
        "an id already used with other content, or an Idempotency-Key reused with another body."
    ),
    413: _("A file over 20 MB, or a tenth file on one side of the claim."),
    415: _("Not an accepted type (checked from the bytes), or a body that is not of the expected media type."),
    422: _("Well-formed but breaks a rule: `code` names it, `message` cites the rule id."),
    429: _("Throttled: retry after the seconds in the Retry-After header."),
    503: _("The database is briefly out of reach: send the same request again after Retry-After seconds."),
}
ERROR_EXAMPLE = OpenApiExample(
    "A refused approval",
    value={
        "error": {
            "code": "evidence_missing",
            "message": "Approval needs at least one buyer image and the buyer's description. (R-REV-2)",
            "fields": {},
        }
    },
    response_only=True,
    status_codes=["422"],
)
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description=_("Repeat the key to retry safely: the first answer is replayed (kept at least 24 h)."),
)


def errors(*codes):
    """The error answers of an endpoint: every endpoint may answer 401, 429 and 503."""
    return {
        code: OpenApiResponse(s.ErrorSerializer, description=ERRORS[code]) for code in sorted({401, 429, 503, *codes})
    }


def parse(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class JsonOnly(BaseContentNegotiation):
    """Answers are JSON (or a stored file) whatever Accept says: never an HTML page."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    """`roles` maps a method to the client roles allowed to call it (all when absent)."""

    roles = {}
    content_negotiation_class = JsonOnly

    @property
    def actor(self):
        return self.request.auth.actor()

    def get_serializer_context(self):
        return {"request": self.request}


# -- what the answers load, in a fixed number of queries whatever the number of rows ---------

CLAIM_RELATED = ("refund_request", "sub_order", "policy", "shop", "insurer", "appeal_record", "receipt_dispute")
# Into plain lists (`api_flags`, …), which a claim just opened is given without reading them back.
CLAIM_PREFETCH = (
    Prefetch("flags", queryset=ClaimFlag.objects.order_by("raised_at", "id"), to_attr="api_flags"),
    Prefetch("evidence", queryset=Evidence.objects.all(), to_attr="api_evidence"),
    Prefetch("decisions", queryset=Decision.objects.all(), to_attr="api_decisions"),
)


def claims_for(actor):
    claims_ = Claim.objects.for_actor(actor).select_related(*CLAIM_RELATED).prefetch_related(*CLAIM_PREFETCH)
    if actor.role in NOTE_READERS:  # R-NOTE-2: the notes are loaded only for those who may read them
        claims_ = claims_.prefetch_related(Prefetch("notes", queryset=ClaimNote.objects.all(), to_attr="api_notes"))
    return claims_


def refund_requests_for(actor):
    return (
        RefundRequest.objects.for_actor(actor)
        .select_related("sub_order", "shop", "claim", *(f"claim__{name}" for name in CLAIM_RELATED))
        .prefetch_related(*(_nested("claim", lookup) for lookup in CLAIM_PREFETCH))
    )


def _nested(prefix, lookup):
    return Prefetch(f"{prefix}__{lookup.prefetch_through}", queryset=lookup.queryset, to_attr=lookup.to_attr)


def policies_for(actor):
    return (
        Policy.objects.for_actor(actor)
        .select_related("sub_order", "shop", "plan", "insurer")
        # `status` too: the FSM mixin reads it when a claim is loaded.
        .prefetch_related(Prefetch("claims", queryset=Claim.objects.only("id", "claim_id", "policy_id", "status")))
    )


def changed_since(moment):
    """A claim whose representation changed since `moment`: its own row, or a flag or an evidence
    file added beside it (those do not touch the claim's row)."""
    return (
        Q(updated_at__gte=moment)
        | Exists(ClaimFlag.objects.filter(claim=OuterRef("pk"), raised_at__gte=moment))
        | Exists(Evidence.objects.filter(claim=OuterRef("pk"), uploaded_at__gte=moment))
    )


def attach_history(claims_):
    """The claims' transitions (api.md `history`), read in one query for the whole page."""
    claims_ = [claim for claim in claims_ if claim is not None]
    logs = histories(claims_)
    for claim in claims_:
        claim.api_history = logs.get(claim.pk, [])
    return claims_


def claim_out(actor, claim_id, context):
    claim = claims_for(actor).filter(claim_id=claim_id).first()
    if claim is None:
        raise NotFound(_("Claim not found."))
    attach_history([claim])
    return s.ClaimSerializer(claim, context=context).data


def refund_request_out(actor, pk, context):
    request = refund_requests_for(actor).get(pk=pk)
    attach_history([getattr(request, "claim", None)])
    return s.RefundRequestSerializer(request, context=context).data


def new_refund_request_out(request, context):
    """A request recorded just now, answered from the rows its routing wrote rather than read
    back, which took a third of the request's time (docs/performance.md). Its claim, if it opened
    one, has only its opening and the flags raised with it (`claims.services.Opening`)."""
    opening = request.opening
    claim = opening.claim if opening else None
    _known_related(request, claim=claim)
    if claim is not None:
        claim.api_flags, claim.api_history = opening.flags, opening.history
        claim.api_evidence, claim.api_decisions = [], []
        _known_related(claim, appeal_record=None, receipt_dispute=None)
    return s.RefundRequestSerializer(request, context=context).data


def _known_related(obj, **rows):
    """Give `obj` the rows of its reverse one-to-ones as select_related would (None: no row)."""
    for name, row in rows.items():
        obj._meta.get_field(name).set_cached_value(obj, row)


# -- orders and policies -------------------------------------------------------------------


ORDER_EXAMPLE = {
    "sub_order_id": "SO-20261101-0001",
    "order_id": "O-20261101-0001",
    "shop_id": "demo-shop",
    "buyer_id": "b-7f3a",
    "product_id": "kettle-1",
    "warranty_plan": "appliance_30d",
    "paid_amount": "199.00",
    "placed_at": "2026-11-01T10:00:00+08:00",
}


# One order in, one result out; a batch in, a batch out.
ORDER_RESULTS = PolymorphicProxySerializer(
    "OrderResultOrBatch", serializers=[s.OrderResultSerializer, s.OrderBatchSerializer], resource_type_field_name=None
)


class OrdersView(ApiView):
    roles = {"POST": PLATFORM}

    @schema(
        operation_id="orders_create",
        summary=_("Record sub-orders (one, or up to 1000 all-or-nothing)"),
        parameters=[IDEMPOTENCY_KEY],
        request=PolymorphicProxySerializer(
            "OrderOrBatch", serializers=[s.OrderInput, s.OrderBatchInput], resource_type_field_name=None
        ),
        responses={
            201: OpenApiResponse(ORDER_RESULTS, description=_("At least one order was new.")),
            200: OpenApiResponse(ORDER_RESULTS, description=_("Every order was an identical resend: nothing changed.")),
            **errors(400, 403, 409, 422),
        },
        examples=[
            OpenApiExample("One order", value=ORDER_EXAMPLE, request_only=True),
            OpenApiExample("A batch", value={"orders": [ORDER_EXAMPLE]}, request_only=True),
            OpenApiExample(
                "Covered",
                value={"sub_order_id": "SO-20261101-0001", "covered": True, "reason": None},
                response_only=True,
            ),
        ],
    )
    @idempotent
    def post(self, request):
        batch = isinstance(request.data, dict) and "orders" in request.data
        items = parse(s.OrderBatchInput, request.data)["orders"] if batch else [parse(s.OrderInput, request.data)]
        results = policies.record_orders(items, self.actor)
        answers = [s.OrderResultSerializer(order).data for order, _created in results]
        created = any(was_created for _order, was_created in results)
        return Response({"orders": answers} if batch else answers[0], status=201 if created else 200)


class OrderEventsView(ApiView):
    roles = {"POST": PLATFORM}

    @schema(
        operation_id="order_events_create",
        summary=_("Record shipments, receipt confirmations and cancellations (up to 1000)"),
        parameters=[IDEMPOTENCY_KEY],
        request=s.OrderEventBatchInput,
        responses={200: s.OrderEventBatchSerializer, **errors(400, 403, 409, 422)},
        examples=[
            OpenApiExample(
                "Shipped",
                value={
                    "events": [
                        {"sub_order_id": "SO-20261101-0001", "type": "shipped", "at": "2026-11-02T09:00:00+08:00"}
                    ]
                },
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request):
        events = parse(s.OrderEventBatchInput, request.data)["events"]
        return Response({"events": policies.record_order_events(events, self.actor)})


class PolicyListView(ApiView, generics.ListAPIView):
    pagination_class = NewestFirst
    serializer_class = s.PolicySerializer

    @schema(
        operation_id="policies_list",
        parameters=[s.PolicyFilter],
        responses={200: s.PolicySerializer(many=True), **errors(400)},
    )
    def get(self, request):
        filters = parse(s.PolicyFilter, request.query_params)
        queryset = policies_for(self.actor)
        if "sub_order_id" in filters:
            queryset = queryset.filter(sub_order__sub_order_id=filters["sub_order_id"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.PolicySerializer(page, many=True).data)


class PolicyDetailView(ApiView):
    @schema(operation_id="policies_retrieve", responses={200: s.PolicySerializer, **errors(404)})
    def get(self, request, policy_no):
        policy = policies_for(self.actor).filter(policy_no=policy_no).first()
        if policy is None:
            raise NotFound(_("Policy not found."))
        return Response(s.PolicySerializer(policy).data)


# -- refund requests and claims ------------------------------------------------------------


class RefundRequestsView(ApiView, generics.ListAPIView):
    roles = {"POST": PLATFORM}
    pagination_class = NewestFirst
    serializer_class = s.RefundRequestSerializer

    @schema(
        operation_id="refund_requests_list",
        parameters=[s.RefundRequestFilter],
        responses={200: s.RefundRequestSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        filters = parse(s.RefundRequestFilter, request.query_params)
        queryset = refund_requests_for(self.actor)
        if "sub_order_id" in filters:
            queryset = queryset.filter(sub_order__sub_order_id=filters["sub_order_id"])
        if "business_type" in filters:
            queryset = queryset.filter(business_type=filters["business_type"])
        page = self.paginate_queryset(queryset)
        attach_history(getattr(request_, "claim", None) for request_ in page)
        return self.get_paginated_response(
            s.RefundRequestSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @schema(
        operation_id="refund_requests_create",
        summary=_("Relay a buyer's refund request; it is routed to the insurer or stays with the merchant"),
        parameters=[IDEMPOTENCY_KEY],
        request=s.RefundRequestInput,
        responses={
            201: s.RefundRequestSerializer,
            200: OpenApiResponse(s.RefundRequestSerializer, description=_("An identical resend: nothing changed.")),
            **errors(400, 403, 409, 422),
        },
        examples=[
            OpenApiExample(
                "Quality problem",
                value={
                    "refund_id": "RF-0001",
                    "sub_order_id": "SO-20261101-0001",
                    "kind": "return_refund",
                    "reason": "quality",
                    "amount": "199.00",
                    "description": "壶底漏水",
                    "requested_at": "2026-11-10T20:00:00+08:00",
                    "buyer_level": "normal",
                },
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request):
        data = dict(parse(s.RefundRequestInput, request.data))
        if data.get("buyer_level") is None:
            data.pop("buyer_level", None)
        refund, created = claims.submit_refund_request(data, self.actor)
        context = self.get_serializer_context()
        if created:
            return Response(new_refund_request_out(refund, context), status=201)
        return Response(refund_request_out(self.actor, refund.pk, context))


class RefundRequestDetailView(ApiView):
    @schema(operation_id="refund_requests_retrieve", responses={200: s.RefundRequestSerializer, **errors(404)})
    def get(self, request, refund_id):
        refund = RefundRequest.objects.for_actor(self.actor).filter(refund_id=refund_id).first()
        if refund is None:
            raise NotFound(_("Refund request not found."))
        return Response(refund_request_out(self.actor, refund.pk, self.get_serializer_context()))


class ClaimListView(ApiView, generics.ListAPIView):
    pagination_class = NewestFirst
    serializer_class = s.ClaimSerializer

    @schema(
        operation_id="claims_list",
        parameters=[s.ClaimFilter],
        responses={200: s.ClaimSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        filters = parse(s.ClaimFilter, request.query_params)
        since = filters.pop("updated_since", None)
        lookups = {
            "status": "status__in",
            "sub_order_id": "sub_order__sub_order_id",
            "refund_id": "refund_request__refund_id",
            "kind": "kind",
        }
        queryset = claims_for(self.actor).filter(**{lookups[name]: value for name, value in filters.items()})
        if since:
            queryset = queryset.filter(changed_since(since))
        page = attach_history(self.paginate_queryset(queryset))
        return self.get_paginated_response(
            s.ClaimSerializer(page, many=True, context=self.get_serializer_context()).data
        )


class ClaimDetailView(ApiView):
    @schema(operation_id="claims_retrieve", responses={200: s.ClaimSerializer, **errors(404)})
    def get(self, request, claim_id):
        return Response(claim_out(self.actor, claim_id, self.get_serializer_context()))


class ClaimAction(ApiView):
    """POST /claims/{id}/<action>: find the claim in scope, parse, call the service, answer the claim."""

    body = s.EmptyInput

    def act(self, claim, data):
        raise NotImplementedError

    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        self.act(claim, parse(self.body, request.data))
        return Response(claim_out(self.actor, claim_id, self.get_serializer_context()))


def action_schema(operation_id, summary, body, *codes, examples=()):
    return extend_schema_view(
        post=schema(
            operation_id=operation_id,
            summary=summary,
            description=_("Answers the claim as it stands after the action."),
            parameters=[IDEMPOTENCY_KEY],
            request=body,
            responses={200: s.ClaimSerializer, **errors(400, 403, 404, 409, *codes)},
            examples=[*examples, ERROR_EXAMPLE] if 422 in codes else list(examples),
        )
    )


@action_schema("claims_return_shipment", _("The buyer's return tracking number (R-RET-2)"), s.ReturnShipmentInput, 422)
class ReturnShipmentView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = s.ReturnShipmentInput

    def act(self, claim, data):
        claims.record_return_shipment(
            claim, self.actor, carrier=data["carrier"], tracking_number=data["tracking_number"], at=data.get("at")
        )


@action_schema("claims_delivered", _("The returned parcel reached the merchant (R-RET-5 starts)"), s.AtInput)
class DeliveredView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = s.AtInput

    def act(self, claim, data):
        claims.mark_delivered(claim, self.actor, at=data.get("at"))


@action_schema(
    "claims_refund_completed",
    _("The merchant's refund to the buyer went through (R-PAY-1)"),
    s.RefundCompletedInput,
    422,
)
class RefundCompletedView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = s.RefundCompletedInput

    def act(self, claim, data):
        claims.complete_refund(
            claim, self.actor, at=data.get("at"), buyer_payout_account=data.get("buyer_payout_account")
        )


@action_schema("claims_appeal", _("The buyer appeals the decision, once (R-DIS-1)"), s.AppealInput, 422)
class AppealView(ClaimAction):
    roles = {"POST": PLATFORM}
    body = s.AppealInput

    def act(self, claim, data):
        claims.appeal(claim, self.actor, reason=data["reason"])


@action_schema(
    "claims_decision",
    _("The insurer's decision, or its request for more evidence (R-REV-2, R-REV-3)"),
    s.DecisionInput,
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
    body = s.DecisionInput

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
    "claims_receipt",
    _("The merchant confirms or rejects the returned parcel (R-RET-3)"),
    s.ReceiptInput,
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
    body = s.ReceiptInput

    def act(self, claim, data):
        if data["outcome"] == "confirm":
            claims.confirm_receipt(claim, self.actor)
        else:
            claims.reject_receipt(claim, self.actor, reason_code=data["reason_code"], note=data["note"])


@action_schema(
    "claims_remind_buyer", _("Remind the buyer to enter the return tracking number (R-RET-2)"), s.EmptyInput, 422
)
class RemindBuyerView(ClaimAction):
    roles = {"POST": MERCHANT}

    def act(self, claim, data):
        claims.remind_buyer(claim, self.actor)


class EvidenceView(ApiView):
    roles = {"POST": PLATFORM | MERCHANT}
    parser_classes = [MultiPartParser]

    @schema(
        operation_id="claims_evidence_create",
        summary=_("Upload the buyer's (platform) or the merchant's evidence (R-REV-2, R-RET-3)"),
        parameters=[IDEMPOTENCY_KEY],
        request={"multipart/form-data": s.EvidenceInput},
        responses={201: s.EvidenceSerializer, **errors(400, 403, 404, 409, 413, 415)},
    )
    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        data = parse(s.EvidenceInput, request.data)
        upload = data["file"]
        side = Side.BUYER if request.auth.role == ClientRole.PLATFORM else Side.MERCHANT
        # A part sent without a type of its own declares nothing; the bytes still decide.
        declared = None if upload.content_type in ("", "application/octet-stream") else upload.content_type
        item = claims.add_evidence(claim, side, upload, self.actor, note=data["note"], declared_type=declared)
        return Response(s.EvidenceSerializer(item, context=self.get_serializer_context()).data, status=201)


class EvidenceFileView(ApiView):
    @schema(
        operation_id="claims_evidence_file",
        summary=_("Download an evidence file of a claim in the client's scope"),
        responses={
            **{
                (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=_("The file."))
                for media_type in ACCEPTED
            },
            **errors(404),
        },
    )
    def get(self, request, claim_id, evidence_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        evidence = claim.evidence.filter(pk=evidence_id).first()
        if evidence is None:
            raise NotFound(_("Evidence not found."))
        extension = evidence.file.name.rsplit(".", 1)[-1] if "." in evidence.file.name else "bin"
        return FileResponse(
            evidence.file.open("rb"),
            content_type=evidence.content_type,
            filename=f"{claim.claim_id}-{evidence.pk}.{extension}",
        )


class BuyerReportsView(ApiView):
    roles = {"POST": MERCHANT}

    @schema(
        operation_id="buyer_reports_create",
        summary=_("Report an abnormal buyer from a claim or a policy (R-ABUSE-1)"),
        parameters=[IDEMPOTENCY_KEY],
        request=s.BuyerReportInput,
        responses={201: s.BuyerReportSerializer, **errors(400, 403, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = parse(s.BuyerReportInput, request.data)
        claim = claims.get_claim_for(self.actor, data["claim_id"]) if "claim_id" in data else None
        policy = None
        if "policy_no" in data:
            policies_in_scope = Policy.objects.for_actor(self.actor).select_related("sub_order")
            policy = policies_in_scope.filter(policy_no=data["policy_no"]).first()
            if policy is None:
                raise NotFound(_("Policy not found."))
        report = claims.report_buyer(self.actor, note=data["note"], claim=claim, policy=policy)
        return Response(s.BuyerReportSerializer(report).data, status=201)
