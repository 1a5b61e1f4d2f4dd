"""Django's 403, 404 and 500 handlers (zhibao/urls.py) and the CSRF failure view (CSRF_FAILURE_VIEW).
Under /portal/ the portal's own page: its layout and the merchant's language, a way back, the status
kept, and nothing of what was asked for (another shop's object is a 404 as if it did not exist) nor
of what failed. Elsewhere the API's handlers answer as before: JSON under /api/, Django's pages
otherwise (the admin's look is its own)."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views import csrf

from integrations.api import errors as site

from .access import merchant_actor
from .shortcuts import page
from .templatetags.portal import SECTION_OF

# The menu's lists a failed page may lead back to (the home page is always offered).
LISTS = ("claims", "refunds", "policies", "ledger", "invoices", "enrolment", "shop", "notices")


def handler404(request, exception=None):
    if not _in_portal(request):
        return site.handler404(request, exception)
    return error_page(request, 404)


def handler403(request, exception=None):
    if not _in_portal(request):
        return site.handler403(request, exception)
    return error_page(request, 403)


def csrf_failure(request, reason=""):
    """A form posted with a token that no longer holds: its page sat open while the merchant signed
    in again (which renews the token), in this tab or another, or the browser dropped its cookies.
    Reloading the form's page gives it the current token."""
    if not _in_portal(request):
        return csrf.csrf_failure(request, reason)
    return error_page(request, 403, form_expired=True)


def handler500(request):
    if not _in_portal(request):
        return site.handler500(request)
    # As Django's own 500 view: no request context, so that the page still renders when what failed
    # is the database, the session or the user's record.
    context = {"status": 500, "back": _list_of(request)}
    return HttpResponseServerError(loader.render_to_string("portal/error.html", context))


def error_page(request, status, **extra):
    context = {"status": status, "back": _list_of(request), **extra}
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


def _in_portal(request):
    return request.path.startswith(reverse("portal:home"))
