"""Refund requests: the relayed request, the list's query parameters and a request with its claim."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.choices import BusinessType, BuyerLevel, Kind

from .claims import ClaimSerializer
from .fields import Money, Time, ident, related_row


class RefundRequestInput(serializers.Serializer):
    refund_id = ident()
    sub_order_id = ident()
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
        claim = related_row(request, "claim")
        return ClaimSerializer(claim, context=self.context).data if claim else None
