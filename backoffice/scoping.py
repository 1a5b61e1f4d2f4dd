"""Who is looking, and what they may see: every admin queryset goes through `for_actor`."""

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR

from audit.actors import Actor, Channel, Role
from zhibao.pagination import BoundedPaginator, page_number

BACK_OFFICE_ROLES = (Role.REVIEWER, Role.SUPERVISOR, Role.SERVICE_STAFF)


def actor_for(request):
    return Actor.for_user(request.user, Channel.ADMIN)


def may_enter(user):
    """Staff roles only: a merchant never gets into the admin, even if marked as staff by mistake."""
    if not (user.is_active and user.is_staff):
        return False
    membership = getattr(user, "membership", None)
    return user.is_superuser if membership is None else membership.role in BACK_OFFICE_ROLES


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

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ScopedAdmin):
    """Records that are written by the services only (ledger, audit trail, decisions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
