"""Policies: the list's query parameters and a policy as api.md shows it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .fields import Money, Time


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
