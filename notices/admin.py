"""Notices for staff: escalations and disputes (R-NOTE-1), the viewer's audience only."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import confirmed_bulk_action
from backoffice.disclosure import RevealsBody, masked_body_text, reveal_body
from backoffice.display import claim_link, clipped
from backoffice.scoping import ReadOnlyAdmin

from . import services
from .models import Notice
from .texts import EVENT_LABELS, event_label


class EventFilter(admin.SimpleListFilter):
    """The events by what staff call them, not by their API names."""

    title = gettext_lazy("event")
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return [(name, label) for name, label in EVENT_LABELS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


def _mark_read(modeladmin, request, queryset, data):
    done = services.mark_read(queryset)
    messages.success(request, _("%(n)d notice(s) marked as read.") % {"n": done})


@admin.register(Notice)
class NoticeAdmin(RevealsBody, ReadOnlyAdmin):
    list_display = ("created_at", "event_column", "text_clipped", "claim_column", "shop", "audience", "read_at")
    # The data may carry the return address sent to a buyer: masked (audit.masking), in full
    # only through "Show in full", which records who saw it.
    fields = (
        "event_column",
        "audience",
        "shop",
        "insurer",
        "claim",
        "policy",
        "text_column",
        "data_masked",
        "created_at",
        "read_at",
    )
    list_select_related = ("claim", "shop")
    list_filter = ("audience", EventFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("=claim__claim_id", "=shop__shop_id")
    ordering = ("-created_at", "-id")
    actions = [
        confirmed_bulk_action(
            "mark_read", description=gettext_lazy("Mark as read"), permission="view", perform=_mark_read
        )
    ]
    object_actions = (reveal_body("data", "notices.view_notice"),)

    @admin.display(description=gettext_lazy("event"), ordering="event_type")
    def event_column(self, notice):
        return event_label(notice.event_type)

    @admin.display(description=gettext_lazy("claim"))
    def claim_column(self, notice):
        return claim_link(notice.claim)

    @admin.display(description=gettext_lazy("message"))
    def text_column(self, notice):
        """R-NOTE-1: in the reader's language, as the notice's audience reads it; its start on the
        list's one line (a long message pushed the list sideways at 1440 px), in full on the notice."""
        return notice.text

    @admin.display(description=gettext_lazy("message"))
    def text_clipped(self, notice):
        return clipped(notice.text)

    @admin.display(description=gettext_lazy("data"))
    def data_masked(self, notice):
        return masked_body_text(notice.data)
