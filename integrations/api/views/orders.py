"""Sub-orders and their events from the platform (R-POL-1, domain.md §4)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
)
from drf_spectacular.utils import extend_schema as schema
from rest_framework.response import Response

from integrations.idempotency import idempotent
from policies import services as policies

from ..schema import IDEMPOTENCY_KEY, ORDER_EXAMPLE, errors
from ..serializers.orders import (
    OrderBatchInput,
    OrderBatchSerializer,
    OrderEventBatchInput,
    OrderEventBatchSerializer,
    OrderInput,
    OrderResultSerializer,
)
from .base import PLATFORM, ApiView, parse

# One order in, one result out; a batch in, a batch out.
ORDER_RESULTS = PolymorphicProxySerializer(
    "OrderResultOrBatch", serializers=[OrderResultSerializer, OrderBatchSerializer], resource_type_field_name=None
)


class OrdersView(ApiView):
    roles = {"POST": PLATFORM}

    @schema(
        operation_id="orders_create",
        summary=_("Record sub-orders (one, or up to 1000 all-or-nothing)"),
        parameters=[IDEMPOTENCY_KEY],
        request=PolymorphicProxySerializer(
            "OrderOrBatch", serializers=[OrderInput, OrderBatchInput], resource_type_field_name=None
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
        items = parse(OrderBatchInput, request.data)["orders"] if batch else [parse(OrderInput, request.data)]
        results = policies.record_orders(items, self.actor)
        answers = [OrderResultSerializer(order).data for order, _created in results]
        created = any(was_created for _order, was_created in results)
        return Response({"orders": answers} if batch else answers[0], status=201 if created else 200)


class OrderEventsView(ApiView):
    roles = {"POST": PLATFORM}

    @schema(
        operation_id="order_events_create",
        summary=_("Record shipments, receipt confirmations and cancellations (up to 1000)"),
        parameters=[IDEMPOTENCY_KEY],
        request=OrderEventBatchInput,
        responses={200: OrderEventBatchSerializer, **errors(400, 403, 409, 422)},
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
        events = parse(OrderEventBatchInput, request.data)["events"]
        return Response({"events": policies.record_order_events(events, self.actor)})
