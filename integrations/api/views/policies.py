"""Policies in the client's scope."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema as schema
from rest_framework.response import Response

from kernel.errors import NotFound
from policies.filters import PolicyFilterSet
from policies.models import Policy

from ..schema import errors
from ..serializers.policies import PolicySerializer
from .base import ApiListView, ApiView
from .loaders import policies_for


class PolicyListView(ApiListView):
    serializer_class = PolicySerializer
    queryset = Policy.objects.none()  # the schema's model; rows come from the loaders
    filterset_class = PolicyFilterSet

    @schema(
        operation_id="policies_list",
        responses={200: PolicySerializer(many=True), **errors(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(policies_for(self.actor)))
        return self.get_paginated_response(PolicySerializer(page, many=True).data)


class PolicyDetailView(ApiView):
    @schema(operation_id="policies_retrieve", responses={200: PolicySerializer, **errors(404)})
    def get(self, request, policy_no):
        policy = policies_for(self.actor).filter(policy_no=policy_no).first()
        if policy is None:
            raise NotFound(_("Policy not found."))
        return Response(PolicySerializer(policy).data)
