"""The site's URLs and two portal addresses that fail, for the 403 and 500 pages' tests: no portal
view refuses with PermissionDenied or crashes today, and the pages must be there when one does."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.access import merchant_required
from zhibao.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401 (this urlconf's handlers)

CRASH = "The shop's secret went missing"


@merchant_required
def refuse(request):
    raise PermissionDenied


@merchant_required
def crash(request):
    raise RuntimeError(CRASH)


urlpatterns = [
    path("portal/refuse-for-test/", refuse),
    path("portal/crash-for-test/", crash),
    *urlpatterns,
]
