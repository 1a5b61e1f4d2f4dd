"""Bordereaux for supervisors (R-BDX-1): their insurer's versions, by month and kind, with both
files to download. Read-only: a bordereau is made by make_bordereaux, never edited here."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.scoping import ReadOnlyAdmin

from .models import FORMATS, Bordereau


@admin.register(Bordereau)
class BordereauAdmin(ReadOnlyAdmin):
    list_display = (
        "period",
        "kind",
        "version",
        "insurer",
        "lines",
        "total_premium",
        "total_paid",
        "created_at",
        "replaces",
        "downloads",
    )
    list_select_related = ("insurer", "replaces")
    list_filter = ("period", "kind", ("insurer", admin.RelatedOnlyFieldListFilter))
    ordering = ("-period", "kind", "-version")
    fields = (
        "insurer",
        "period",
        "kind",
        "version",
        "replaces",
        "created_at",
        "lines",
        "total_premium",
        "total_paid",
        "downloads",
    )
    readonly_fields = fields

    @admin.display(description=_("download"))
    def downloads(self, bordereau):
        url = reverse("admin:reports_bordereau_download", args=[bordereau.pk])
        return format_html('<a href="{}?format=csv">CSV</a> · <a href="{}?format=xlsx">XLSX</a>', url, url)

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<path:object_id>/download/", download, name="reports_bordereau_download")] + super().get_urls()

    def download_view(self, request, object_id):
        """One of the bordereau's files, for a viewer who may see it (404 outside their insurer)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        bordereau = self.get_object(request, unquote(object_id))
        format = request.GET.get("format", "csv")
        if bordereau is None or format not in FORMATS:
            raise Http404
        opened, content_type, name = bordereau.download(format)
        return FileResponse(opened, as_attachment=True, filename=name, content_type=content_type)
