"""The site's URLs and one portal address that refuses (PermissionDenied), for the 403 page's test:
no portal view refuses that way today, and the page must be there when one does."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.access import merchant_required
from zhibao.urls import handler403, handler404, urlpatterns  # noqa: F401 (this urlconf's handlers)


@merchant_required
def refuse(request):
    raise PermissionDenied


urlpatterns = [path("portal/refuse-for-test/", refuse), *urlpatterns]
