"""Reports of abnormal buyers (R-ABUSE-1)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .fields import Time


class BuyerReportInput(serializers.Serializer):
    claim_id = serializers.CharField(max_length=32, required=False)
    policy_no = serializers.CharField(max_length=32, required=False)
    note = serializers.CharField(max_length=2000, allow_blank=True)


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
