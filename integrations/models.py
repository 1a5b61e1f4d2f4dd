"""Integration clients of the API (api.md), what they asked with an Idempotency-Key, and the
webhook events owed to them."""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from kernel.actors import Actor, Channel, Role


class ClientRole(models.TextChoices):
    PLATFORM = Role.PLATFORM.value, _("Platform")
    INSURER = Role.INSURER.value, _("Insurer")
    MERCHANT = Role.MERCHANT.value, _("Merchant")


def hash_key(key: str) -> str:
    """Keys are stored only as this digest: a leaked database does not leak working keys."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    """A system that drives Zhibao through the API: the platform, one insurer's, or one shop's."""

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=ClientRole.choices, default=ClientRole.PLATFORM)
    insurer = models.ForeignKey(
        "catalogue.Insurer", null=True, blank=True, on_delete=models.PROTECT, related_name="api_clients"
    )
    shop = models.ForeignKey(
        "merchants.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="api_clients"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=80, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True, help_text=_("Untick to revoke the key at once."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    # DRF asks the authenticated principal this; a client that got this far is authenticated.
    is_authenticated = True

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="api_client_binding_matches_role",
                condition=(
                    models.Q(role="platform", insurer__isnull=True, shop__isnull=True)
                    | models.Q(role="insurer", insurer__isnull=False, shop__isnull=True)
                    | models.Q(role="merchant", shop__isnull=False, insurer__isnull=True)
                ),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"

    def actor(self):
        return Actor(
            role=self.role,
            channel=Channel.API,
            client_id=self.pk,
            insurer_id=self.insurer_id,
            shop_id=self.shop_id,
            label=f"api:{self.name}"[:150],
        )


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an Idempotency-Key, replayed for the same key and body.

    The unique (client, key) makes the database settle concurrent identical requests: the second
    insert waits for the first transaction and then finds its answer."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="one_record_per_client_key")]

    def __str__(self):
        return f"{self.client_id}:{self.key}"


class WebhookDeliveryQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(next_attempt_at__lte=now)


class WebhookDelivery(models.Model):
    """One event owed to one client. The row is the retry state: `next_attempt_at` is set while
    the event is still to be sent and cleared once it was delivered or given up."""

    # Indexed by the unique (client, event_id) constraint below.
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="deliveries", db_index=False)
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("body"))
    created_at = models.DateTimeField(_("created at"), db_index=True)
    retry_until = models.DateTimeField(_("retried until"))
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        # With the time: on PostgreSQL the table is partitioned by month of created_at, and every
        # unique key must hold it (kernel.partitions). An event's deliveries are written once, in
        # its publishing transaction and with one created_at, so this is one per client and event.
        constraints = [
            models.UniqueConstraint(fields=["client", "event_id", "created_at"], name="one_delivery_per_client_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(next_attempt_at__isnull=False), name="webhook_due"
            ),
            # Not db_index on the field: on PostgreSQL that adds an unused pattern-matching index too.
            models.Index(fields=["event_type"], name="webhook_event_type"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.client}"

    @property
    def state(self):
        if self.delivered_at:
            return "delivered"
        if self.failed_at:
            return "failed"
        return "retrying" if self.attempts else "pending"


class WebhookAttempt(models.Model):
    """The delivery log: every POST we made, with what the receiver answered."""

    # No foreign key in the database: PostgreSQL cannot point one at a table partitioned by month
    # (kernel.partitions). Attempts are written by `webhooks.send` for a delivery it has just read;
    # a month of attempts outlives its deliveries' month by at most the retention's last month.
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", db_constraint=False
    )
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
