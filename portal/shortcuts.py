"""Rendering a portal page, and turning a service's refusal into what the merchant reads."""

from django.contrib import messages
from django.shortcuts import render

from kernel.errors import DomainError
from merchants.models import Shop
from notices.models import Notice

from .access import scoped


def page(request, template, context=None, *, status=200):
    """Render with what every portal page shows: the shop's name and its unread notices."""
    context = {
        "shop": scoped(request, Shop).only("name", "shop_id").first(),
        "unread_notices": scoped(request, Notice).unread().count(),
        **(context or {}),
    }
    return render(request, template, context, status=status)


def form_error(form, exc):
    """Put a DomainError on the form: its message above the form, its per-field problems on
    the fields it names."""
    form.add_error(None, exc.text)
    for field, problems in exc.fields.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, str(problem))


def perform(request, success, service, *args, **kwargs):
    """Call a service for a button that has no form: the next page tells the merchant `success`,
    or why the service refused. True when it was done."""
    try:
        service(*args, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.text)
        return False
    messages.success(request, success)
    return True
