"""Who may use the portal, and the one way its views reach data.

A merchant user belongs to one shop (accounts.Membership). Every view is wrapped in
`merchant_required`, which puts the merchant's Actor on the request; every object is then read
through `scoped()`, i.e. `Model.objects.for_actor(actor)`, so another shop's object is a 404
exactly as if it did not exist (portal/errors.py: the page that says so)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import get_resolver, get_urlconf

from kernel.actors import Actor, Channel, Role


def merchant_actor(user):
    """The portal actor for a user, or None when the user may not act as a merchant here.

    Staff accounts never use the portal as a merchant, even with a shop membership."""
    if not user.is_authenticated or not user.is_active or user.is_staff or user.is_superuser:
        return None
    actor = Actor.for_user(user, Channel.PORTAL)
    if actor.role != Role.MERCHANT or not actor.shop_id:
        return None
    return actor


def merchant_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        actor = merchant_actor(request.user)
        if actor is None:
            return render(request, "portal/refused.html", status=403)
        request.actor = actor
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            # The site's 404 handler answers (the portal's page) even with DEBUG on, as under
            # `make run`, where Django would show its debug page to the merchant instead.
            return get_resolver(get_urlconf()).resolve_error_handler(404)(request, exc)

    return wrapper


def scoped(request, model):
    """The only door from a portal view to the database: the merchant's own rows."""
    return model.objects.for_actor(request.actor)


def get_scoped_or_404(request, model, *, related=(), **lookup):
    obj = scoped(request, model).select_related(*related).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
