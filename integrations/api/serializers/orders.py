"""Sub-orders and their events in, what became of them out (R-POL-1)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from policies.choices import NotCovered, OrderEventType

from .fields import MAX_BATCH, Money, Time, ident


class OrderInput(serializers.Serializer):
    sub_order_id = ident()
    order_id = ident()
    shop_id = ident()
    buyer_id = ident()
    product_id = ident()
    warranty_plan = serializers.CharField(
        max_length=40, required=False, allow_null=True, allow_blank=True, default=None
    )
    paid_amount = Money(help_text=_("Greater than 0."))
    placed_at = Time()


class OrderBatchInput(serializers.Serializer):
    orders = OrderInput(many=True, min_length=1, max_length=MAX_BATCH)


class OrderEventInput(serializers.Serializer):
    sub_order_id = ident()
    type = serializers.ChoiceField(choices=OrderEventType.choices)
    at = Time()


class OrderEventBatchInput(serializers.Serializer):
    events = OrderEventInput(many=True, min_length=1, max_length=MAX_BATCH)


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
