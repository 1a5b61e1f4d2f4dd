"""Django's 403 and 404 handlers (zhibao/urls.py). Under /portal/ the portal's own page: its layout
and the merchant's language, a way back, the status kept, and nothing of what was asked for (another
shop's object is a 404 as if it did not exist). Elsewhere the API's handlers answer as before: JSON
under /api/, Django's pages otherwise (the admin's look is its own)."""

from django.shortcuts import render
from django.urls import reverse

from integrations.api import errors as site

from .access import merchant_actor
from .shortcuts import page
from .templatetags.portal import SECTION_OF

# The menu's lists a failed page may lead back to (the home page is always offered).
LISTS = ("claims", "refunds", "policies", "ledger", "invoices", "enrolment", "shop", "notices")


def handler404(request, exception=None):
    if not request.path.startswith(reverse("portal:home")):
        return site.handler404(request, exception)
    return error_page(request, 404)


def handler403(request, exception=None):
    if not request.path.startswith(reverse("portal:home")):
        return site.handler403(request, exception)
    return error_page(request, 403)


def error_page(request, status):
    context = {"status": status, "back": _list_of(request)}
    user = getattr(request, "user", None)  # none if a middleware before sign-in refused the request
    actor = getattr(request, "actor", None) or (merchant_actor(user) if user else None)
    if actor is None:
        # Signed out, or not a merchant's account: the page without a shop's menu.
        return render(request, "portal/error.html", context, status=status)
    request.actor = actor
    return page(request, "portal/error.html", context, status=status)


def _list_of(request):
    """The list the page asked for belongs to (a claim's: the claims), when the address matched one."""
    match = request.resolver_match
    section = SECTION_OF.get(match.url_name, match.url_name) if match else None
    return reverse(f"portal:{section}") if section in LISTS else None
