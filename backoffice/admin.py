from django.contrib import admin
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from claims.admin import ClaimAdmin

from .models import QueuedClaim


@admin.register(QueuedClaim)
class QueuedClaimAdmin(ClaimAdmin):
    """The review desk: open claims, the least time left to the SLA first (R-REV-1)."""

    list_display = (
        "time_left",
        "claim_id",
        "status_badge",
        "flag_list",
        "requested_amount",
        "kind",
        "reason_label",
        "buyer_level",
        "shop",
        "plan",
        "assignee",
        "opened_at",
    )
    ordering = (F("review_due_at").asc(nulls_last=True), "opened_at")
    change_list_template = "backoffice/queue.html"

    def get_queryset(self, request):
        return super().get_queryset(request).review_queue()

    def object_queryset(self, request):
        # A claim decided since the page was opened is still found, so the page can say so.
        return super().get_queryset(request)

    def after_action_url(self, obj):
        # A decided claim leaves the queue: show it where it now lives.
        return reverse("admin:claims_claim_change", args=[obj.pk])

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": _("Review queue")})
