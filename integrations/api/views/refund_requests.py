"""Refund requests: relayed by the platform and routed (R-ROUTE-1), listed in scope."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
)
from drf_spectacular.utils import extend_schema as schema
from rest_framework.response import Response

from claims import services as claims
from claims.filters import RefundRequestFilterSet
from claims.models import RefundRequest
from integrations.idempotency import idempotent
from kernel.errors import NotFound

from ..schema import IDEMPOTENCY_KEY, errors
from ..serializers.refund_requests import RefundRequestInput, RefundRequestSerializer
from .base import PLATFORM, ApiListView, ApiView, parse
from .loaders import attach_history, new_refund_request_out, refund_request_out, refund_requests_for


class RefundRequestsView(ApiListView):
    roles = {"POST": PLATFORM}
    serializer_class = RefundRequestSerializer
    queryset = RefundRequest.objects.none()  # the schema's model; rows come from the loaders
    filterset_class = RefundRequestFilterSet

    @schema(
        operation_id="refund_requests_list",
        responses={200: RefundRequestSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(refund_requests_for(self.actor)))
        attach_history(getattr(request_, "claim", None) for request_ in page)
        return self.get_paginated_response(
            RefundRequestSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @schema(
        operation_id="refund_requests_create",
        summary=_("Relay a buyer's refund request; it is routed to the insurer or stays with the merchant"),
        parameters=[IDEMPOTENCY_KEY],
        request=RefundRequestInput,
        responses={
            201: RefundRequestSerializer,
            200: OpenApiResponse(RefundRequestSerializer, description=_("An identical resend: nothing changed.")),
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
        data = dict(parse(RefundRequestInput, request.data))
        if data.get("buyer_level") is None:
            data.pop("buyer_level", None)
        refund, created = claims.submit_refund_request(data, self.actor)
        context = self.get_serializer_context()
        if created:
            return Response(new_refund_request_out(self.actor, refund, context), status=201)
        return Response(refund_request_out(self.actor, refund.pk, context))


class RefundRequestDetailView(ApiView):
    @schema(operation_id="refund_requests_retrieve", responses={200: RefundRequestSerializer, **errors(404)})
    def get(self, request, refund_id):
        refund = RefundRequest.objects.for_actor(self.actor).filter(refund_id=refund_id).first()
        if refund is None:
            raise NotFound(_("Refund request not found."))
        return Response(refund_request_out(self.actor, refund.pk, self.get_serializer_context()))
