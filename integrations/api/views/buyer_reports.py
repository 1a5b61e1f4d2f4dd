"""Reports of abnormal buyers from a claim or a policy (R-ABUSE-1)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema as schema
from rest_framework.response import Response

from claims import services as claims
from integrations.idempotency import idempotent
from kernel.errors import NotFound
from policies.models import Policy

from ..schema import IDEMPOTENCY_KEY, errors
from ..serializers.buyer_reports import BuyerReportInput, BuyerReportSerializer
from .base import MERCHANT, ApiView, parse


class BuyerReportsView(ApiView):
    roles = {"POST": MERCHANT}

    @schema(
        operation_id="buyer_reports_create",
        summary=_("Report an abnormal buyer from a claim or a policy (R-ABUSE-1)"),
        parameters=[IDEMPOTENCY_KEY],
        request=BuyerReportInput,
        responses={201: BuyerReportSerializer, **errors(400, 403, 404, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = parse(BuyerReportInput, request.data)
        claim = claims.get_claim_for(self.actor, data["claim_id"]) if "claim_id" in data else None
        policy = None
        if "policy_no" in data:
            policies_in_scope = Policy.objects.for_actor(self.actor).select_related("sub_order")
            policy = policies_in_scope.filter(policy_no=data["policy_no"]).first()
            if policy is None:
                raise NotFound(_("Policy not found."))
        report = claims.report_buyer(self.actor, note=data["note"], claim=claim, policy=policy)
        return Response(BuyerReportSerializer(report).data, status=201)
