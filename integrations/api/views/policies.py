"""Policies in the client's scope."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema as schema
from rest_framework import generics
from rest_framework.response import Response

from kernel.errors import NotFound

from ..pagination import NewestFirst
from ..schema import errors
from ..serializers.policies import PolicyFilter, PolicySerializer
from .base import ApiView, parse
from .loaders import policies_for


class PolicyListView(ApiView, generics.ListAPIView):
    pagination_class = NewestFirst
    serializer_class = PolicySerializer

    @schema(
        operation_id="policies_list",
        parameters=[PolicyFilter],
        responses={200: PolicySerializer(many=True), **errors(400)},
    )
    def get(self, request):
        filters = parse(PolicyFilter, request.query_params)
        queryset = policies_for(self.actor)
        if "sub_order_id" in filters:
            queryset = queryset.filter(sub_order__sub_order_id=filters["sub_order_id"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(PolicySerializer(page, many=True).data)


class PolicyDetailView(ApiView):
    @schema(operation_id="policies_retrieve", responses={200: PolicySerializer, **errors(404)})
    def get(self, request, policy_no):
        policy = policies_for(self.actor).filter(policy_no=policy_no).first()
        if policy is None:
            raise NotFound(_("Policy not found."))
        return Response(PolicySerializer(policy).data)
