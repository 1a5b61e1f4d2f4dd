"""The application's URLs plus the baseline of api_ratio: a bare DRF view behind the same token
authentication, permission and throttle as every API view, that does nothing else."""

from django.urls import path
from rest_framework.response import Response

from integrations.api.views.base import ApiView
from zhibao.urls import *  # noqa: F403
from zhibao.urls import urlpatterns as app_urlpatterns


class BareView(ApiView):
    def post(self, request):
        return Response({"received": len(request.data)}, status=201)


urlpatterns = [*app_urlpatterns, path("bench/bare", BareView.as_view())]
