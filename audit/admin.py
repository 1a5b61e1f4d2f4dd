"""The audit trail, read-only: who changed what, when, through which channel, and why."""

from django.contrib import admin

from backoffice.scoping import ReadOnlyAdmin
from kernel.actors import Role

from .models import ChainHead, DailyRoot, Disclosure, PackDownload, TransitionLog


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


@admin.register(DailyRoot)
class DailyRootAdmin(ReadOnlyAdmin):
    """R-AUD-1: each day's Merkle root of every chain's head, as sent to clients (audit.root)."""

    list_display = ("day", "root", "chains", "computed_at")
    ordering = ("-day",)
    search_fields = ("=root",)

    def scope(self, queryset, actor):
        # A root tells nothing about any claim: every back-office role may compare it.
        return queryset


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdmin):
    """Each chain's head and when verify_audit_chain last checked it (R-AUD-1)."""

    list_display = ("chain", "seq", "digest", "at", "verified_at", "verified_ok")
    list_filter = ("verified_ok", ("verified_at", admin.DateFieldListFilter))
    search_fields = ("=chain",)
    ordering = ("chain",)
    show_full_result_count = False

    def scope(self, queryset, actor):
        return queryset if actor.role == Role.SERVICE_STAFF else queryset.none()


@admin.register(PackDownload)
class PackDownloadAdmin(ReadOnlyAdmin):
    """Every evidence pack handed out (R-AUD-2): which claim, which variant, to whom, through what."""

    list_display = ("at", "claim", "variant", "role", "channel", "actor_label", "size")
    list_select_related = ("claim",)
    list_filter = ("variant", "role", "channel", ("at", admin.DateFieldListFilter))
    search_fields = ("=claim__claim_id", "=actor_label")
    ordering = ("-at", "-id")

    def scope(self, queryset, actor):
        return queryset if actor.role == Role.SERVICE_STAFF else queryset.none()
