"""The audit trail, read-only: who changed what, when, through which channel, and why."""

from django.contrib import admin

from backoffice.scoping import ReadOnlyAdmin
from kernel.actors import Role

from .models import Disclosure, TransitionLog


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "content_type",
        "object_id",
        "transition",
        "source",
        "target",
        "role",
        "channel",
        "actor_label",
    )
    list_select_related = ("content_type",)
    list_filter = ("content_type", "role", "channel", "transition", ("at", admin.DateFieldListFilter))
    search_fields = ("=object_id", "=actor_label")
    ordering = ("-at", "-id")
    list_per_page = 100

    def scope(self, queryset, actor):
        # Rows point at objects of every kind; only roles that see every object see the trail.
        return queryset if actor.role == Role.SERVICE_STAFF else queryset.none()


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    """Every masked value shown in full: which, to whom, when, why (audit.masking)."""

    list_display = ("at", "content_type", "object_id", "field", "role", "channel", "actor_label", "reason")
    list_select_related = ("content_type",)
    list_filter = ("field", "role", ("at", admin.DateFieldListFilter))
    search_fields = ("=object_id", "=actor_label")
    ordering = ("-at", "-id")
    list_per_page = 100

    def scope(self, queryset, actor):
        return queryset if actor.role == Role.SERVICE_STAFF else queryset.none()
