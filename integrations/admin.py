"""Staff screens for integration clients (revoke a key) and the webhook delivery log (re-send).

Clients and deliveries span every insurer and shop, so only platform staff see them; keys are
issued with `python manage.py issue_api_token` and are never shown again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backoffice.disclosure import RevealsBody, masked_body_text, reveal_body
from kernel.actors import Actor, Channel, Role

from . import services, webhooks
from .models import ApiClient, WebhookAttempt, WebhookDelivery


class PlatformStaffOnly:
    def _platform_staff(self, request):
        return Actor.for_user(request.user, Channel.ADMIN).role == Role.SERVICE_STAFF

    def has_module_permission(self, request):
        return self._platform_staff(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._platform_staff(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._platform_staff(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(PlatformStaffOnly, admin.ModelAdmin):
    list_display = ("name", "role", "insurer", "shop", "key_prefix", "webhook_url", "active", "created_at")
    list_filter = ("role", "active")
    list_select_related = ("insurer", "shop")
    search_fields = ("name", "key_prefix")
    fields = ("name", "role", "insurer", "shop", "key_prefix", "webhook_url", "active", "created_at", "revoked_at")
    readonly_fields = ("role", "insurer", "shop", "key_prefix", "active", "created_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        secret = services.give_webhook_secret(obj)
        if secret:
            self.message_user(
                request,
                _("Events to %(url)s are signed with this secret; give it to the receiver: %(secret)s")
                % {"url": obj.webhook_url, "secret": secret},
                messages.WARNING,
            )

    @admin.action(description=_("Revoke the selected clients' keys"), permissions=["change"])
    def revoke(self, request, queryset):
        count = services.revoke(queryset)
        self.message_user(
            request,
            ngettext("%d key revoked.", "%d keys revoked.", count) % count,
            messages.SUCCESS,
        )


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", _("To be sent")), ("delivered", _("Delivered")), ("failed", _("Given up"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(next_attempt_at__isnull=False)
        if self.value() == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PlatformStaffOnly, RevealsBody, admin.ModelAdmin):
    list_display = (
        "event_type",
        "client",
        "created_at",
        "state_label",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = (StateFilter, "event_type", "client")
    list_select_related = ("client",)
    search_fields = ("event_id",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "client",
        "event_id",
        "event_type",
        "payload_masked",
        "created_at",
        "retry_until",
        "next_attempt_at",
        "attempts",
        "last_status_code",
        "last_error",
        "delivered_at",
        "failed_at",
    )
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["resend"]
    # The body may carry the return address sent to a buyer: masked here (audit.masking), in
    # full only through "Show in full", which records who saw it. A re-send sends it whole.
    object_actions = (reveal_body("payload", "integrations.change_webhookdelivery"),)

    @admin.display(description=_("state"))
    def state_label(self, delivery):
        return delivery.state

    @admin.display(description=_("body"))
    def payload_masked(self, delivery):
        return masked_body_text(delivery.payload)

    @admin.action(description=_("Re-send the selected events"), permissions=["change"])
    def resend(self, request, queryset):
        count = webhooks.resend(queryset)
        self.message_user(
            request,
            ngettext("%d event queued to be sent again.", "%d events queued to be sent again.", count) % count,
            messages.SUCCESS,
        )
