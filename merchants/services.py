"""Enrolment use cases (domain.md §3) and rate storage (R-RATE-1)."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import apply_transition, record_transition
from catalogue.models import Insurer, Plan
from kernel.actors import Actor, require
from kernel.errors import Conflict, RuleViolation
from kernel.tasks import enqueue
from kernel.timeutil import SHANGHAI

from .choices import COVERING_STATUSES, RateSource
from .choices import EnrolmentStatus as S
from .models import CoverPeriod, Enrolment, Rate, Shop, ShopChange
from .workflow import TRANSITIONS


def _locked(enrolment: Enrolment) -> Enrolment:
    locked: Enrolment = (
        Enrolment.objects.select_for_update(of=("self",)).select_related("plan", "shop").get(pk=enrolment.pk)
    )
    return locked


@transaction.atomic
def invite(shop: Shop, plan: Plan, actor: Actor, *, now: dt.datetime | None = None, reason: str = "") -> Enrolment:
    """R-ENR-1: admission is by invitation of service staff only."""
    require(actor, "invite", TRANSITIONS)
    now = now or timezone.now()
    if Enrolment.objects.filter(shop=shop, plan=plan).exists():
        raise Conflict(_("%(shop)s is already invited to %(plan)s.") % {"shop": shop, "plan": plan.code})
    enrolment: Enrolment = Enrolment.objects.create(shop=shop, plan=plan, invited_at=now)
    record_transition(enrolment, transition="invite", source="", target=S.INVITED, actor=actor, reason=reason, at=now)
    return enrolment


@transaction.atomic
def apply(enrolment: Enrolment, insurer: Insurer, actor: Actor, *, now: dt.datetime | None = None) -> Enrolment:
    """R-ENR-2 (apply with one insurer) and R-EXIT-3 (re-application from day 91 after an exit)."""
    require(actor, "apply", TRANSITIONS, shop_id=enrolment.shop_id)
    now = now or timezone.now()
    enrolment = _locked(enrolment)
    if not enrolment.plan.insurers.filter(pk=insurer.pk).exists():
        raise RuleViolation(
            _("%(insurer)s does not sell %(plan)s.") % {"insurer": insurer, "plan": enrolment.plan.code},
            code="insurer_not_offered",
            rule="R-ENR-2",
        )
    rejoin_from = enrolment.rejoin_from() if enrolment.status == S.EXITED else None
    if rejoin_from is not None and now < rejoin_from:
        raise RuleViolation(
            _("After the exit, the shop may apply again from %(date)s (Asia/Shanghai).")
            % {"date": rejoin_from.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")},
            code="rejoin_too_early",
            rule="R-EXIT-3",
        )
    apply_transition(enrolment, "apply", actor, at=now, insurer=insurer)
    return enrolment


@transaction.atomic
def approve(enrolment: Enrolment, actor: Actor, *, now: dt.datetime | None = None, reason: str = "") -> Enrolment:
    """R-ENR-2: the chosen insurer's supervisor approves; cover starts at once (R-ENR-3 checked)."""
    enrolment = _locked(enrolment)
    require(actor, "approve", TRANSITIONS, insurer_id=enrolment.insurer_id)
    now = now or timezone.now()
    if enrolment.status == S.APPLIED and not enrolment.shop.ready_for_cover:
        raise RuleViolation(
            _("The shop needs a default return address and a payout account before cover can start."),
            code="enrolment_incomplete",
            rule="R-ENR-3",
        )
    apply_transition(enrolment, "approve", actor, at=now, reason=reason)
    # The transition left APPLIED, and an application names its insurer (R-ENR-2).
    assert enrolment.insurer is not None
    CoverPeriod.objects.create(enrolment=enrolment, insurer=enrolment.insurer, started_at=now)
    if not enrolment.rates.exists():
        Rate.objects.create(
            enrolment=enrolment,
            rate=enrolment.plan.base_rate,
            effective_from=now,
            source=RateSource.INITIAL,
            reason=_("Plan base rate"),
        )
    return enrolment


@transaction.atomic
def reject(enrolment: Enrolment, actor: Actor, *, reason: str, now: dt.datetime | None = None) -> Enrolment:
    enrolment = _locked(enrolment)
    require(actor, "reject", TRANSITIONS, insurer_id=enrolment.insurer_id)
    if not reason.strip():
        raise RuleViolation(_("A rejection needs a reason."), code="reason_required", rule="R-ENR-2")
    now = now or timezone.now()
    apply_transition(enrolment, "reject", actor, at=now, reason=reason)
    return enrolment


@transaction.atomic
def request_exit(enrolment: Enrolment, actor: Actor, *, reason: str, now: dt.datetime | None = None) -> Enrolment:
    """R-EXIT-1: the merchant asks its service specialist; staff file the exit with a reason."""
    require(actor, "request_exit", TRANSITIONS)
    if not reason.strip():
        raise RuleViolation(_("An exit needs a reason."), code="reason_required", rule="R-EXIT-1")
    now = now or timezone.now()
    enrolment = _locked(enrolment)
    apply_transition(enrolment, "request_exit", actor, at=now, reason=reason)
    return enrolment


@transaction.atomic
def complete_exit(enrolment: Enrolment, actor: Actor, *, reason: str = "", now: dt.datetime | None = None) -> Enrolment:
    """R-EXIT-1: the exit takes effect when staff complete it; R-EXIT-2: issued cover stays."""
    require(actor, "complete_exit", TRANSITIONS)
    now = now or timezone.now()
    enrolment = _locked(enrolment)
    apply_transition(enrolment, "complete_exit", actor, at=now, reason=reason)
    CoverPeriod.objects.filter(enrolment=enrolment, ended_at__isnull=True).update(ended_at=now)
    return enrolment


# What covers an order: (enrolment id, insurer id, rate).
Cover = tuple[int, int, Decimal]
CoverKey = tuple[int, int, dt.datetime]


def cover_at(shop_id: int, plan_id: int, moment: dt.datetime) -> Cover | None:
    """The enrolment, insurer and rate that cover an order placed at `moment`, or None (R-POL-1, R-POL-3)."""
    return covers_for([(shop_id, plan_id, moment)]).get((shop_id, plan_id, moment))


def covers_for(keys: Iterable[CoverKey]) -> dict[CoverKey, Cover]:
    """Bulk form of `cover_at`: {(shop_id, plan_id, moment): (enrolment_id, insurer_id, rate)} for
    the keys that are covered, in a fixed number of queries whatever the number of keys."""
    pairs = {(shop_id, plan_id) for shop_id, plan_id, _moment in keys}
    if not pairs:
        return {}
    enrolments = {
        (e.shop_id, e.plan_id): e.pk
        for e in Enrolment.objects.filter(shop_id__in={s for s, _ in pairs}, plan_id__in={p for _, p in pairs})
    }
    periods: dict[int, list[CoverPeriod]] = {}
    rates: dict[int, list[Rate]] = {}
    for period in CoverPeriod.objects.filter(enrolment_id__in=enrolments.values()):
        periods.setdefault(period.enrolment_id, []).append(period)
    for rate in Rate.objects.filter(enrolment_id__in=enrolments.values()).order_by("effective_from", "id"):
        rates.setdefault(rate.enrolment_id, []).append(rate)
    result: dict[CoverKey, Cover] = {}
    for shop_id, plan_id, moment in keys:
        enrolment_id = enrolments.get((shop_id, plan_id))
        if enrolment_id is None:
            continue
        covering = next((p for p in periods.get(enrolment_id, ()) if p.covers(moment)), None)
        in_force = [r for r in rates.get(enrolment_id, ()) if r.effective_from <= moment]
        if covering and in_force:
            result[(shop_id, plan_id, moment)] = (enrolment_id, covering.insurer_id, in_force[-1].rate)
    return result


def current_rate(enrolment: Enrolment, now: dt.datetime | None = None) -> Rate | None:
    return current_rates([enrolment], now).get(enrolment.pk)


def current_rates(enrolments: Iterable[Enrolment], now: dt.datetime | None = None) -> dict[int, Rate]:
    """{enrolment id: the Rate in force at `now`} for several enrolments, in one query."""
    now = now or timezone.now()
    in_force: dict[int, Rate] = {}
    for rate in Rate.objects.filter(enrolment__in=enrolments, effective_from__lte=now).order_by("effective_from", "id"):
        in_force[rate.enrolment_id] = rate
    return in_force


def record_rate(
    enrolment: Enrolment,
    rate: Decimal | str,
    *,
    source: str,
    factors: dict[str, Any] | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    user_id: int | None = None,
) -> Rate:
    """Store a new effective-dated rate, bounded by the plan's floor and ceiling (R-RATE-1)."""
    plan = enrolment.plan
    rate = Decimal(rate).quantize(Decimal("0.0001"))
    if not (plan.rate_floor <= rate <= plan.rate_ceiling):
        raise RuleViolation(
            _("The rate must lie between %(floor)s and %(ceiling)s.")
            % {"floor": plan.rate_floor, "ceiling": plan.rate_ceiling},
            code="rate_out_of_bounds",
            rule="R-RATE-1",
            fields={"rate": [_("Out of bounds.")]},
        )
    return Rate.objects.create(
        enrolment=enrolment,
        rate=rate,
        effective_from=now or timezone.now(),
        source=source,
        factors=factors or {},
        reason=reason,
        created_by_id=user_id,
    )


@transaction.atomic
def override_rate(
    enrolment: Enrolment, rate: Decimal | str, actor: Actor, *, reason: str, now: dt.datetime | None = None
) -> Rate:
    """R-RATE-1: a supervisor sets the rate by hand, with a reason; the engine then leaves it alone."""
    enrolment = _locked(enrolment)
    require(actor, "override_rate", TRANSITIONS, insurer_id=enrolment.insurer_id)
    if not reason.strip():
        raise RuleViolation(_("An override needs a reason."), code="reason_required", rule="R-RATE-1")
    if enrolment.status not in COVERING_STATUSES:
        raise RuleViolation(_("Only an enrolment in cover has a rate to override."), code="not_active")
    row = record_rate(enrolment, rate, source=RateSource.OVERRIDE, reason=reason, now=now, user_id=actor.user_id)
    Enrolment.objects.filter(pk=enrolment.pk).update(rate_overridden=True)
    record_transition(
        enrolment,
        transition="override_rate",
        source=enrolment.status,
        target=enrolment.status,
        actor=actor,
        reason=f"{row.rate}: {reason}",
        at=row.effective_from,
    )
    return row


@transaction.atomic
def lift_override(enrolment: Enrolment, actor: Actor, *, reason: str = "") -> None:
    enrolment = _locked(enrolment)
    require(actor, "lift_override", TRANSITIONS, insurer_id=enrolment.insurer_id)
    Enrolment.objects.filter(pk=enrolment.pk).update(rate_overridden=False)
    # Not a state change, but who lifted an override and why belongs in the same trail.
    record_transition(
        enrolment,
        transition="lift_override",
        source=enrolment.status,
        target=enrolment.status,
        actor=actor,
        reason=reason,
    )


SHOP_DETAIL_FIELDS = ("return_address", "return_contact", "return_phone", "payout_account", "email", "language")


@transaction.atomic
def update_shop_details(
    shop: Shop, actor: Actor, *, now: dt.datetime | None = None, **changes: str | None
) -> dict[str, tuple[str, str]]:
    """Change a shop's return details or payout account (R-ENR-3 data); every change is logged.
    Returns {field: (old, new)} for the fields that changed."""
    require(actor, "edit_shop", TRANSITIONS, shop_id=shop.pk)
    unknown = set(changes) - set(SHOP_DETAIL_FIELDS)
    if unknown:
        raise RuleViolation(_("These shop details cannot be changed here: %s") % ", ".join(sorted(unknown)))
    now = now or timezone.now()
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    changed: dict[str, tuple[str, str]] = {}
    for field, value in changes.items():
        value = (value or "").strip()
        if getattr(shop, field) != value:
            changed[field] = (getattr(shop, field), value)
    if changed:
        Shop.objects.filter(pk=shop.pk).update(**{f: new for f, (_old, new) in changed.items()})
        ShopChange.objects.bulk_create(
            ShopChange(
                shop=shop,
                field=f,
                old_value=old,
                new_value=new,
                changed_at=now,
                role=actor.role,
                channel=actor.channel,
                user_id=actor.user_id,
            )
            for f, (old, new) in changed.items()
        )
    if "payout_account" in changed:
        # R-PAY-6: a corrected account pays again what the provider refused (payments, by name).
        enqueue("payments.tasks.retry_refused_payouts", shop.pk)
    return changed
