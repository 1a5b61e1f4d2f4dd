"""Who is looking, and what they may see: every admin queryset goes through `for_actor`."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.utils.translation import gettext as _

from audit.masking import SENSITIVE, masked
from audit.services import disclose
from kernel.actors import Actor, Channel, Role
from kernel.pagination import BoundedPaginator, page_number

from .search import search_identifiers

BACK_OFFICE_ROLES = (Role.REVIEWER, Role.SUPERVISOR, Role.SERVICE_STAFF)


def actor_for(request):
    return Actor.for_user(request.user, Channel.ADMIN)


def may_enter(user):
    """Staff roles only: a merchant never gets into the admin, even if marked as staff by mistake."""
    if not (user.is_active and user.is_staff):
        return False
    membership = getattr(user, "membership", None)
    return user.is_superuser if membership is None else membership.role in BACK_OFFICE_ROLES


def masked_column(field):
    """A list column or page field showing `field` masked (audit.masking)."""

    @admin.display(description=field.replace("_", " "), ordering=field)
    def column(obj):
        return masked(field, getattr(obj, field))

    column.__name__ = f"{field}_masked"
    return column


MASKED_COLUMNS = {field: masked_column(field) for field in SENSITIVE}


class ScopedAdmin(admin.ModelAdmin):
    """Scopes the admin's queryset to the viewer (domain.md §1).

    `scope_through` names a foreign key whose model's `for_actor` decides, for models whose own
    queryset has no scope (evidence, disputes, rates …). Nothing here is ever deleted."""

    scope_through = None
    show_full_result_count = False
    list_per_page = 50

    def scope(self, queryset, actor):
        if self.scope_through is None:
            return queryset.for_actor(actor)
        related = self.model._meta.get_field(self.scope_through).related_model
        return queryset.filter(**{f"{self.scope_through}__in": related.objects.for_actor(actor).values("pk")})

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), actor_for(request))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The changelist counts its filtered rows on every page: count a few pages ahead only.
        return BoundedPaginator(
            queryset,
            per_page,
            near_page=page_number(request.GET.get(PAGE_VAR)),
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )

    def get_search_results(self, request, queryset, search_term):
        """By identifiers through their indexes (backoffice.search); Django's search otherwise."""
        term = search_term.strip()
        found = search_identifiers(self.model, queryset, self.get_search_fields(request), term) if term else None
        if found is None:
            return super().get_search_results(request, queryset, search_term)
        return found, False

    def changelist_view(self, request, extra_context=None):
        # A list gets the whole width (its columns fit a 1440 px screen without sideways
        # scrolling): the breadcrumbs and the home page's cards lead everywhere the side menu does.
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    def has_delete_permission(self, request, obj=None):
        return False

    # Payout accounts, return addresses and phones, buyers' ids: masked on lists and on pages the
    # viewer cannot edit. An editor's form shows them in full; opening it is a recorded disclosure.

    def get_list_display(self, request):
        return [
            MASKED_COLUMNS.get(name, name) if isinstance(name, str) else name
            for name in super().get_list_display(request)
        ]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields  # a new record's form, or an editor's: what they type, they see
        return [MASKED_COLUMNS.get(name, name) if isinstance(name, str) else name for name in fields]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_change_permission(request, obj):
                for field in sorted(SENSITIVE.keys() & set(self.get_fields(request, obj))):
                    disclose(obj, field, actor_for(request), reason=_("Opened for editing"))
        return super().change_view(request, object_id, form_url, extra_context)


class ReadOnlyAdmin(ScopedAdmin):
    """Records that are written by the services only (ledger, audit trail, decisions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
