from csp.decorators import csp_update
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice.packs import evidence_pack

# Swagger UI draws its icons as data: images; nothing else on the page needs more than 'self'.
api_docs = csp_update({"img-src": ["data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="integrations/swagger_ui.html")
)


def favicon(request):
    """What a browser asks for on a page without an icon link (the API's JSON, a file)."""
    return redirect(static("zhibao/favicon.svg"), permanent=True)


urlpatterns = [
    path(
        "admin/claims/claim/<int:pk>/evidence-pack/", admin.site.admin_view(evidence_pack), name="admin-evidence-pack"
    ),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("integrations.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("favicon.ico", favicon),
]

# JSON under /api/, the portal's own pages under /portal/, the usual pages elsewhere.
handler400 = "integrations.api.errors.handler400"
handler403 = "portal.errors.handler403"
handler404 = "portal.errors.handler404"
handler500 = "portal.errors.handler500"
