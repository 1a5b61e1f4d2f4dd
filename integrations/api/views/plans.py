"""A plan's problem taxonomy (R-PLAN-1): the codes a decision on one of its claims may name."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema as schema
from rest_framework import serializers
from rest_framework.response import Response

from catalogue.models import Plan
from kernel.errors import NotFound

from ..schema import errors
from .base import ApiView


class ProblemCodeSerializer(serializers.Serializer):
    reason = serializers.CharField()
    code = serializers.CharField()
    label_zh_hans = serializers.CharField()
    label_en = serializers.CharField()


class ProblemCodesSerializer(serializers.Serializer):
    plan = serializers.CharField()
    results = ProblemCodeSerializer(many=True)


class ProblemCodesView(ApiView):
    @schema(
        operation_id="plans_problem_codes",
        description=_("The plan's problem codes per qualifying reason (R-PLAN-1); staff add codes in the admin."),
        responses={200: ProblemCodesSerializer, **errors(404)},
    )
    def get(self, request, plan_code):
        plan = Plan.objects.filter(code=plan_code).first()
        if plan is None:
            raise NotFound(_("Plan not found."))
        return Response({"plan": plan.code, "results": ProblemCodeSerializer(plan.taxonomy.all(), many=True).data})
