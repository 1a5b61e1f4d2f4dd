"""The bordereaux in the integration API (api.md, R-BDX-1): insurer clients read their own,
the platform all; a merchant client is refused (403) before anything is looked up."""

from django.http import FileResponse
from django.urls import re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.utils import extend_schema as schema
from rest_framework import generics, serializers

from integrations.api.pagination import NewestFirst
from integrations.api.schema import errors
from integrations.api.views.base import INSURER, PLATFORM, ApiView, parse

from . import services
from .models import FORMATS, BordereauKind
from .periods import PERIOD, Period

READERS = PLATFORM | INSURER


class BordereauFilter(serializers.Serializer):
    period = serializers.RegexField(PERIOD, required=False, help_text=_("YYYY-MM (Asia/Shanghai)."))
    kind = serializers.ChoiceField(choices=BordereauKind.choices, required=False)


class BordereauFileQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=sorted(FORMATS), default="csv")


class BordereauSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    insurer = serializers.CharField(help_text=_("The insurer's code."))
    period = serializers.CharField(help_text=_("YYYY-MM (Asia/Shanghai)."))
    kind = serializers.ChoiceField(choices=BordereauKind.choices)
    version = serializers.IntegerField()
    replaces = serializers.IntegerField(allow_null=True, help_text=_("The id of the version this one corrects."))
    created_at = serializers.DateTimeField()
    lines = serializers.IntegerField()
    total_premium = serializers.CharField(allow_null=True, help_text=_("Premiums charged less refunded (premium)."))
    total_paid = serializers.CharField(allow_null=True, help_text=_("Paid on claims in the month (claims)."))

    def to_representation(self, bordereau):
        return services.representation(bordereau)


class BordereauListView(ApiView, generics.ListAPIView):
    roles = {"GET": READERS}
    pagination_class = NewestFirst
    serializer_class = BordereauSerializer

    @schema(
        operation_id="bordereaux_list",
        summary=_("The monthly premium and claims bordereaux in the client's scope (R-BDX-1)"),
        parameters=[BordereauFilter],
        responses={200: BordereauSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request):
        filters = parse(BordereauFilter, request.query_params)
        period = Period.parse(filters["period"]) if "period" in filters else None
        queryset = services.bordereaux_for(self.actor, period=period, kind=filters.get("kind"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(BordereauSerializer(page, many=True).data)


class BordereauFileView(ApiView):
    roles = {"GET": READERS}

    @schema(
        operation_id="bordereaux_file",
        summary=_("Download a bordereau as CSV or XLSX (R-BDX-1)"),
        parameters=[BordereauFileQuery],
        responses={
            **{
                (200, content_type.split(";")[0]): OpenApiResponse(OpenApiTypes.BINARY, description=_("The file."))
                for _field, content_type in FORMATS.values()
            },
            **errors(400, 403, 404),
        },
    )
    def get(self, request, id):
        format = parse(BordereauFileQuery, request.query_params)["format"]
        bordereau = services.get_bordereau_for(self.actor, id)
        opened, content_type, name = bordereau.download(format)
        return FileResponse(opened, as_attachment=True, filename=name, content_type=content_type)


urlpatterns = [
    re_path(r"^bordereaux/?$", BordereauListView.as_view(), name="bordereaux"),
    re_path(r"^bordereaux/(?P<id>[0-9]{1,18})/file/?$", BordereauFileView.as_view(), name="bordereau-file"),
]
