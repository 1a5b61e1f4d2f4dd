import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kernel.timeutil import shanghai_date, shanghai_midnight

from .choices import EnrolmentStatus as S
from .choices import RateSource
from .querysets import EnrolmentQuerySet, ShopQuerySet


class Shop(models.Model):
    shop_id = models.CharField(_("shop id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("notice e-mail"), blank=True)
    return_address = models.TextField(_("default return address"), blank=True)
    return_contact = models.CharField(_("return contact"), max_length=60, blank=True)
    return_phone = models.CharField(_("return phone"), max_length=30, blank=True)
    payout_account = models.CharField(_("payout account (Alipay id)"), max_length=100, blank=True)
    # R-NOTE-1: the language the shop's notice e-mails and invitations are written in.
    language = models.CharField(
        _("notice language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = ShopQuerySet.as_manager()

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["shop_id"]
        # The reviewer's search by the first characters of a shop's name (`LIKE 'name%'`): the
        # operator class is what lets PostgreSQL serve it whatever the database's collation.
        indexes = [models.Index(fields=["name"], name="shop_name_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.name} ({self.shop_id})"

    @property
    def ready_for_cover(self):
        """R-ENR-3: a default return address and a payout account are both on file."""
        return bool(self.return_address.strip() and self.payout_account.strip())


class Enrolment(ConcurrentTransitionMixin, models.Model):
    """A shop's membership of one plan, with one insurer at a time (domain.md §3)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("shop"))
    plan = models.ForeignKey("catalogue.Plan", on_delete=models.PROTECT, related_name="enrolments")
    insurer = models.ForeignKey(
        "catalogue.Insurer", null=True, blank=True, on_delete=models.PROTECT, related_name="enrolments"
    )
    status = FSMField(_("status"), default=S.INVITED, choices=S.choices, db_index=True)
    invited_at = models.DateTimeField(_("invited at"))
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    exit_requested_at = models.DateTimeField(_("exit filed at"), null=True, blank=True)
    exited_at = models.DateTimeField(_("exited at"), null=True, blank=True)
    exit_reason = models.TextField(_("exit reason"), blank=True)
    rate_overridden = models.BooleanField(_("rate overridden"), default=False)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["shop", "plan"], name="one_enrolment_per_shop_plan")]

    def __str__(self):
        return f"{self.shop} · {self.plan.code}"

    def rejoin_from(self, exited_at: dt.datetime | None = None) -> dt.datetime | None:
        """R-EXIT-3: 00:00 Shanghai on day `rejoin_on_day` after the exit day (the next day is day 1).
        `exited_at` previews the date for an exit that has not happened yet."""
        exited_at = exited_at or self.exited_at
        if exited_at is None:
            return None
        exit_day = shanghai_date(exited_at)
        return shanghai_midnight(exit_day + dt.timedelta(days=self.plan.rejoin_on_day))

    @transition(field=status, source=[S.INVITED, S.REJECTED, S.EXITED], target=S.APPLIED)
    def apply(self, at, reason, insurer):
        self.insurer = insurer
        self.applied_at = at
        self.rejection_reason = ""

    @transition(field=status, source=S.APPLIED, target=S.ACTIVE)
    def approve(self, at, reason):
        self.decided_at = at

    @transition(field=status, source=S.APPLIED, target=S.REJECTED)
    def reject(self, at, reason):
        self.decided_at = at
        self.rejection_reason = reason

    @transition(field=status, source=S.ACTIVE, target=S.EXIT_REQUESTED)
    def request_exit(self, at, reason):
        self.exit_requested_at = at
        self.exit_reason = reason

    @transition(field=status, source=S.EXIT_REQUESTED, target=S.EXITED)
    def complete_exit(self, at, reason):
        self.exited_at = at
        if reason:
            self.exit_reason = reason


class CoverPeriod(models.Model):
    """When an enrolment was active or exit_requested, and with which insurer: orders placed
    inside a period are covered (R-POL-1, R-EXIT-2)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="cover_periods")
    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cover period")
        verbose_name_plural = _("cover periods")
        ordering = ["started_at"]
        indexes = [models.Index(fields=["enrolment", "started_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"], condition=models.Q(ended_at__isnull=True), name="one_open_cover_period"
            )
        ]

    def __str__(self):
        return f"{self.enrolment} {self.started_at:%Y-%m-%d} → {self.ended_at or '…'}"

    def covers(self, moment: dt.datetime) -> bool:
        return self.started_at <= moment and (self.ended_at is None or moment < self.ended_at)


class Rate(models.Model):
    """An effective-dated premium rate of an enrolment, with why (R-RATE-1). Never edited."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="rates")
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4)
    effective_from = models.DateTimeField(_("effective from"))
    source = models.CharField(_("source"), max_length=10, choices=RateSource.choices)
    factors = models.JSONField(_("factor breakdown"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["-effective_from", "-id"]
        indexes = [models.Index(fields=["enrolment", "-effective_from"])]

    def __str__(self):
        return f"{self.rate} from {self.effective_from:%Y-%m-%d}"


class ShopChange(models.Model):
    """A change to a shop's return address or payout account: who, when, from what, to what."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    changed_at = models.DateTimeField(_("changed at"))
    role = models.CharField(_("role"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("shop change")
        verbose_name_plural = _("shop changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.shop} · {self.field}"
