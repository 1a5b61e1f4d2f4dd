"""Staff screens for shops and enrolments: invitations, approvals, exits and rates (domain.md §3,
R-RATE-1). Every button calls merchants.services."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import INVITE_USER
from audit.masking import SENSITIVE, masked
from backoffice.actions import ActionForm, ObjectAction, ObjectActionsMixin
from backoffice.display import admin_link, day, state_badge
from backoffice.exports import export_action
from backoffice.scoping import ScopedAdmin, actor_for
from catalogue.models import Plan
from claims.models import Claim
from kernel.csv import Column
from kernel.timeutil import SHANGHAI
from policies.choices import PolicyStatus
from policies.models import Policy, SubOrder

from . import services
from .choices import COVERING_STATUSES
from .choices import EnrolmentStatus as S
from .models import Enrolment, Rate, Shop, ShopChange
from .workflow import TRANSITIONS

MERCHANTS = "backoffice.manage_merchants"


def shanghai(moment):
    return date_format(moment.astimezone(SHANGHAI), "Y-m-d H:i") if moment else "—"


class ReasonForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RateForm(ReasonForm):
    rate = forms.DecimalField(label=gettext_lazy("New rate"), max_digits=6, decimal_places=4, min_value=0)
    field_order = ["rate", "reason", "seen"]


class InviteForm(ActionForm):
    plan = forms.ModelChoiceField(Plan.objects.none(), label=gettext_lazy("Plan"))
    reason = forms.CharField(label=gettext_lazy("Note"), required=False)

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["plan"].queryset = Plan.objects.exclude(enrolments__shop=obj)


def cover_facts(enrolment, now=None):
    """What an exit leaves in place (R-EXIT-2) and when the shop may apply again (R-EXIT-3)."""
    now = now or timezone.now()
    policies = Policy.objects.filter(enrolment=enrolment)
    in_cover = policies.filter(status=PolicyStatus.IN_COVER)
    facts = [
        (_("Policies in cover"), in_cover.count()),
        (_("Last cover ends"), shanghai(in_cover.aggregate(end=Max("cover_ends_at"))["end"])),
        (_("Policies issued, cover not started"), policies.filter(status=PolicyStatus.ISSUED).count()),
        (
            _("Orders still to ship (they get their policy when they ship)"),
            SubOrder.objects.filter(enrolment=enrolment, shipped_at__isnull=True, cancelled_at__isnull=True).count(),
        ),
        (_("Open claims (still reviewed and paid)"), Claim.objects.filter(policy__enrolment=enrolment).open().count()),
    ]
    if enrolment.status == S.EXITED:
        facts.append((_("May apply again from"), shanghai(enrolment.rejoin_from())))
    elif enrolment.status in COVERING_STATUSES:
        facts.append((_("If the exit is completed now, may apply again from"), shanghai(enrolment.rejoin_from(now))))
    return facts


def rate_facts(enrolment):
    rate = services.current_rate(enrolment)
    plan = enrolment.plan
    return [
        (_("Rate in force"), f"{rate.rate} ({rate.get_source_display()})" if rate else "—"),
        (_("Floor / base / ceiling"), f"{plan.rate_floor} / {plan.base_rate} / {plan.rate_ceiling}"),
        (_("Overridden"), _("yes") if enrolment.rate_overridden else _("no")),
    ]


def _approve(enrolment, actor, request, data):
    services.approve(enrolment, actor, reason=data["reason"])
    return _("%s is active: cover starts now.") % enrolment


def _reject(enrolment, actor, request, data):
    services.reject(enrolment, actor, reason=data["reason"])
    return _("%s rejected.") % enrolment


def _file_exit(enrolment, actor, request, data):
    services.request_exit(enrolment, actor, reason=data["reason"])
    return _("Exit filed for %s; cover continues until the exit is completed.") % enrolment


def _complete_exit(enrolment, actor, request, data):
    services.complete_exit(enrolment, actor, reason=data["reason"])
    enrolment.refresh_from_db()
    return _("%(enrolment)s has exited. It may apply again from %(date)s.") % {
        "enrolment": enrolment,
        "date": shanghai(enrolment.rejoin_from()),
    }


def _override(enrolment, actor, request, data):
    row = services.override_rate(enrolment, data["rate"], actor, reason=data["reason"])
    return _("Rate of %(enrolment)s set to %(rate)s.") % {"enrolment": enrolment, "rate": row.rate}


def _lift(enrolment, actor, request, data):
    services.lift_override(enrolment, actor, reason=data["reason"])
    return _("The risk pricing job reprices %s again.") % enrolment


class RateInline(admin.TabularInline):
    """The rate history (R-RATE-1): never edited, a change is a new row."""

    model = Rate
    fields = ("rate", "effective_from", "source", "reason", "factor_summary", "created_by")
    readonly_fields = fields
    ordering = ("-effective_from", "-id")
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("rate history")

    @admin.display(description=gettext_lazy("factors"))
    def factor_summary(self, rate):
        contributions = (rate.factors or {}).get("contributions", {})
        return ", ".join(f"{name} {value}" for name, value in contributions.items()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(Enrolment)
class EnrolmentAdmin(ObjectActionsMixin, ScopedAdmin):
    """Enrolments: supervisors approve and set rates; service staff process exits (domain.md §3)."""

    list_display = (
        "shop",
        "plan",
        "insurer",
        "status_badge",
        "rate_in_force",
        "rate_overridden",
        "applied_on",
        "exit_column",
    )
    list_select_related = ("shop", "plan", "insurer")
    list_filter = ("status", ("plan", admin.RelatedOnlyFieldListFilter), ("insurer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=shop__shop_id", "shop__name")
    ordering = ("status", "shop__shop_id")
    fields = (
        "shop",
        "plan",
        "insurer",
        "status",
        "invited_at",
        "applied_at",
        "decided_at",
        "rejection_reason",
        "exit_requested_at",
        "exited_at",
        "exit_reason",
        "rate_overridden",
    )
    readonly_fields = fields
    inlines = [RateInline]
    object_actions = (
        ObjectAction(
            "approve",
            gettext_lazy("Approve"),
            OptionalReasonForm,
            _approve,
            "backoffice.approve_enrolments",
            (TRANSITIONS, "approve"),
            (S.APPLIED,),
            help=gettext_lazy("Cover starts at once; the shop needs a return address and a payout account."),
        ),
        ObjectAction(
            "reject",
            gettext_lazy("Reject"),
            ReasonForm,
            _reject,
            "backoffice.approve_enrolments",
            (TRANSITIONS, "reject"),
            (S.APPLIED,),
            help=gettext_lazy("The merchant sees the reason and may apply again."),
            tone="danger",
        ),
        ObjectAction(
            "file_exit",
            gettext_lazy("File exit"),
            ReasonForm,
            _file_exit,
            MERCHANTS,
            (TRANSITIONS, "request_exit"),
            (S.ACTIVE,),
            help=gettext_lazy("The merchant asked its service specialist to leave; cover continues."),
            facts=cover_facts,
        ),
        ObjectAction(
            "complete_exit",
            gettext_lazy("Complete exit"),
            ReasonForm,
            _complete_exit,
            MERCHANTS,
            (TRANSITIONS, "complete_exit"),
            (S.EXIT_REQUESTED,),
            help=gettext_lazy(
                "The exit takes effect now. Orders placed while in cover still get their policy; issued policies "
                "keep full cover."
            ),
            tone="danger",
            facts=cover_facts,
        ),
        ObjectAction(
            "override_rate",
            gettext_lazy("Override rate"),
            RateForm,
            _override,
            "backoffice.override_rates",
            (TRANSITIONS, "override_rate"),
            COVERING_STATUSES,
            help=gettext_lazy("Applies to orders placed from now on; the pricing job leaves it alone."),
            facts=rate_facts,
        ),
        ObjectAction(
            "lift_override",
            gettext_lazy("Lift rate override"),
            ReasonForm,
            _lift,
            "backoffice.override_rates",
            (TRANSITIONS, "lift_override"),
            when=lambda enrolment: enrolment.rate_overridden,
            facts=rate_facts,
        ),
    )
    actions = [
        export_action(
            "enrolments",
            [
                Column(gettext_lazy("shop"), lambda e: e.shop.shop_id),
                Column(gettext_lazy("plan"), lambda e: e.plan.code),
                Column(gettext_lazy("insurer"), lambda e: e.insurer.code if e.insurer else ""),
                Column(gettext_lazy("status"), lambda e: e.status),
                Column(gettext_lazy("rate"), lambda e: e.rate_in_force),
                Column(gettext_lazy("rate overridden"), lambda e: e.rate_overridden),
                Column(gettext_lazy("exited at"), lambda e: e.exited_at),
            ],
        )
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        in_force = Rate.objects.filter(enrolment=OuterRef("pk"), effective_from__lte=timezone.now()).order_by(
            "-effective_from", "-id"
        )
        return super().get_queryset(request).annotate(rate_in_force=Subquery(in_force.values("rate")[:1]))

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, enrolment):
        return state_badge(enrolment)

    @admin.display(description=gettext_lazy("rate"), ordering="rate_in_force")
    def rate_in_force(self, enrolment):
        # The subquery's value comes back as the database holds it (SQLite: a float).
        rate = enrolment.rate_in_force
        return "—" if rate is None else f"{Decimal(str(rate)):.4f}"

    @admin.display(description=gettext_lazy("applied"), ordering="applied_at")
    def applied_on(self, enrolment):
        return day(enrolment.applied_at)

    @admin.display(description=gettext_lazy("exit"), ordering="exit_requested_at")
    def exit_column(self, enrolment):
        if enrolment.exited_at:
            return _("exited %(day)s") % {"day": day(enrolment.exited_at)}
        if enrolment.exit_requested_at:
            return _("requested %(day)s") % {"day": day(enrolment.exit_requested_at)}
        return "—"

    def object_facts(self, request, enrolment):
        facts = []
        if request.user.has_perm(MERCHANTS) and enrolment.status in (*COVERING_STATUSES, S.EXITED):
            facts += cover_facts(enrolment)
        if enrolment.status in COVERING_STATUSES:
            facts += rate_facts(enrolment)
        return facts


class ShopChangeInline(admin.TabularInline):
    model = ShopChange
    fields = ("changed_at", "field", "old_value", "new_value", "role", "channel", "user")
    readonly_fields = fields
    ordering = ("-changed_at", "-id")
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    fields = ("enrolment_link", "plan", "insurer", "status")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    @admin.display(description=gettext_lazy("enrolment"))
    def enrolment_link(self, enrolment):
        return admin_link(enrolment)

    def get_queryset(self, request):
        return super().get_queryset(request).for_actor(actor_for(request)).select_related("plan", "insurer", "shop")


def _invite(shop, actor, request, data):
    enrolment = services.invite(shop, data["plan"], actor, reason=data["reason"])
    if not shop.members.exists():
        return (
            _(
                '%s invited. The shop has no portal login yet: use "Invite a user" to send its first user '
                "a sign-up link, then they can apply."
            )
            % enrolment
        )
    return _("%s invited: the shop's users may now apply in the portal.") % enrolment


@admin.register(Shop)
class ShopAdmin(ObjectActionsMixin, ScopedAdmin):
    """Shops: service staff invite them to plans (R-ENR-1) and keep their return and payout details."""

    list_display = ("shop_id", "name", "ready", "email", "payout_account")
    search_fields = ("=shop_id", "name")
    ordering = ("shop_id",)
    fields = ("shop_id", "name", *services.SHOP_DETAIL_FIELDS)
    inlines = [EnrolmentInline, ShopChangeInline]
    state_field = "pk"
    object_actions = (
        ObjectAction(
            "invite",
            gettext_lazy("Invite to a plan"),
            InviteForm,
            _invite,
            MERCHANTS,
            (TRANSITIONS, "invite"),
            help=gettext_lazy("Admission is by invitation only."),
        ),
        INVITE_USER,
    )

    def version_of(self, shop):
        return str(shop.enrolments.count())

    @admin.display(description=gettext_lazy("ready for cover"), boolean=True)
    def ready(self, shop):
        return shop.ready_for_cover

    def get_readonly_fields(self, request, obj=None):
        return ("shop_id", "name") if obj else ()

    def has_change_permission(self, request, obj=None):
        # Return and payout details change through the service that logs them, which staff may use.
        return super().has_change_permission(request, obj) and actor_for(request).role in TRANSITIONS["edit_shop"][1]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            return
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f in services.SHOP_DETAIL_FIELDS}
        if changed:
            services.update_shop_details(obj, actor_for(request), **changed)


@admin.register(ShopChange)
class ShopChangeAdmin(ScopedAdmin):
    scope_through = "shop"
    list_display = ("changed_at", "shop", "field", "old_value_shown", "new_value_shown", "role", "channel", "user")
    list_select_related = ("shop", "user")
    list_filter = ("field", "role", "channel")
    search_fields = ("=shop__shop_id",)
    ordering = ("-changed_at",)

    def get_fields(self, request, obj=None):
        swap = {"old_value": "old_value_shown", "new_value": "new_value_shown"}
        return [swap.get(name, name) for name in super().get_fields(request, obj)]

    @admin.display(description=gettext_lazy("old value"))
    def old_value_shown(self, change):
        return masked(change.field, change.old_value) if change.field in SENSITIVE else change.old_value

    @admin.display(description=gettext_lazy("new value"))
    def new_value_shown(self, change):
        return masked(change.field, change.new_value) if change.field in SENSITIVE else change.new_value

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
