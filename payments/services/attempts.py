"""Payout attempts (R-PAY-6, R-PAY-5): created and committed before any call, sent from a task,
answered, and — when the answer never came or said nothing — queried until the provider says
what happened. Calls to the provider happen outside any transaction and never in a web request."""

import datetime as dt
import re
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from audit.services import apply_transition, record_transition
from kernel.actors import Actor
from kernel.errors import Conflict, RuleViolation
from kernel.tasks import enqueue, registered
from payments.choices import AttemptKind, AttemptStatus
from payments.models import PayoutAttempt
from payments.providers import Outcome, Result, Transfer, get_provider

S = AttemptStatus
# A created attempt whose send task never ran (lost message, dead worker) is sent by the sweep after this.
SEND_GRACE = dt.timedelta(minutes=2)
MAX_BACKOFF = dt.timedelta(hours=1)
KIND_LETTER: dict[str, str] = {AttemptKind.CLAIM_PAYOUT: "M", AttemptKind.SHIPPING_ALLOWANCE: "B"}
# What a confirmed or refused transfer means for its claim is the claims app's to say: called by
# name, inside the transaction that records the provider's answer.
SETTLE = "claims.services.settle_payout"
# An Alipay account as the transfer API takes it: a login id (e-mail or mobile) or a 2088… user id.
ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{1,99}$")


def clean_account(value: str, field: str) -> str:
    """The account, stripped; a malformed one is refused before anything changes."""
    value = (value or "").strip()
    if not ACCOUNT.match(value):
        raise RuleViolation(
            _("This is not an Alipay account: use the login e-mail, mobile number or 2088… user id."),
            code="invalid_payout_account",
            fields={field: [_("Not an Alipay account.")]},
            rule="R-PAY-6",
        )
    return value


def answer_wait() -> dt.timedelta:
    """How long after a send a missing answer means the worker died between call and answer."""
    return dt.timedelta(seconds=2 * settings.ALIPAY_TIMEOUT + 30)


def backoff(checks: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2**checks), MAX_BACKOFF)


def create_attempt(
    claim: Any, kind: str, payee: str, amount: Decimal, actor: Actor, *, now: dt.datetime | None = None
) -> PayoutAttempt:
    """A new attempt under a new out_biz_no, committed with the caller's transaction; its task
    sends it after commit. Refused while another attempt of this claim and kind is not refused
    (R-PAY-6: money for one claim and kind leaves at most once)."""
    now = now or timezone.now()
    if not payee.strip():
        raise RuleViolation(_("There is no payee account to pay."), code="no_payee_account")
    attempts = PayoutAttempt.objects.filter(claim=claim, kind=kind)
    number = f"ZB{claim.pk:012d}{KIND_LETTER[kind]}{attempts.count() + 1:03d}"
    try:
        with transaction.atomic():
            attempt: PayoutAttempt = PayoutAttempt.objects.create(
                claim=claim,
                kind=kind,
                payee=payee.strip(),
                amount=amount,
                out_biz_no=number,
                created_at=now,
                next_check_at=now + SEND_GRACE,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("A transfer for this claim is already under way or made."), code="payout_already_attempted"
        ) from exc
    record_transition(attempt, transition="create", source="", target=attempt.status, actor=actor, at=now)
    enqueue("payments.tasks.send_payout", attempt.pk)
    return attempt


def _locked(attempt_id: int) -> PayoutAttempt:
    attempt: PayoutAttempt = (
        PayoutAttempt.objects.select_for_update(of=("self",)).select_related("claim").get(pk=attempt_id)
    )
    return attempt


def _actor() -> Actor:
    return Actor.system("payouts")


def send(attempt_id: int, *, now: dt.datetime | None = None) -> str:
    """Mark the attempt sent and commit, then call the provider, then record its answer; returns
    the attempt's state after it. A second run finds it no longer `created` and does nothing (a
    duplicated task): it returns ""."""
    now = now or timezone.now()
    with transaction.atomic():
        found = (
            PayoutAttempt.objects.select_for_update(of=("self",)).select_related("claim").filter(pk=attempt_id).first()
        )
        if found is None or found.status != S.CREATED:
            return ""
        attempt: PayoutAttempt = found
        attempt.next_check_at = now + answer_wait()
        apply_transition(attempt, "send", _actor(), at=now)
    return _call_and_record(attempt, now)


def _call_and_record(attempt: PayoutAttempt, now: dt.datetime) -> str:
    transfer = Transfer(
        attempt.out_biz_no, attempt.payee, attempt.amount, _("Claim %(id)s") % {"id": attempt.claim.claim_id}
    )
    outcome = get_provider().transfer(transfer)
    return record(attempt.pk, outcome, now=now or timezone.now())


def record(attempt_id: int, outcome: Outcome, *, now: dt.datetime) -> str:
    """What the provider said, written under the row's lock. An attempt already confirmed or
    refused (another worker recorded it first) is left as it is."""
    with transaction.atomic():
        attempt = _locked(attempt_id)
        if attempt.status not in (S.SENT, S.UNKNOWN):
            return str(attempt.status)
        actor = _actor()
        if outcome.result == Result.CONFIRMED:
            apply_transition(attempt, "confirm", actor, at=now, order_id=outcome.order_id, paid_at=outcome.paid_at)
            import_string(SETTLE)(attempt, now)
        elif outcome.result == Result.REFUSED:
            reason = outcome.reason or outcome.code
            apply_transition(attempt, "refuse", actor, at=now, reason=reason, code=outcome.code)
            import_string(SETTLE)(attempt, now)
        else:
            _still_unknown(attempt, outcome, actor, now)
        return str(attempt.status)


def _still_unknown(attempt: PayoutAttempt, outcome: Outcome, actor: Actor, now: dt.datetime) -> None:
    """R-PAY-6: not re-sent under a new number; queried on the next sweep and with backoff."""
    reason = " ".join(filter(None, (outcome.code, outcome.reason)))
    due = now + backoff(attempt.checks)
    if attempt.status == S.SENT:
        apply_transition(attempt, "lose_track", actor, at=now, reason=reason, next_check_at=due)
    else:
        PayoutAttempt.objects.filter(pk=attempt.pk).update(next_check_at=due, provider_reason=reason[:300])
    _enqueue_check(attempt.pk, due)


def _enqueue_check(attempt_id: int, due: dt.datetime) -> None:
    transaction.on_commit(partial(_send_at, attempt_id, due))


def _send_at(attempt_id: int, due: dt.datetime) -> None:
    registered("payments.tasks.check_payout").apply_async((attempt_id,), eta=due)


def _claim_check(attempt: PayoutAttempt, now: dt.datetime) -> bool:
    """Take the next check of this attempt: a conditional UPDATE only one sweeper wins; the
    lease lasts as long as the next backoff, after which a dead checker's work is taken again."""
    lease = now + max(backoff(attempt.checks + 1), answer_wait())
    return bool(
        PayoutAttempt.objects.filter(pk=attempt.pk, next_check_at=attempt.next_check_at, status=attempt.status).update(
            next_check_at=lease, checks=attempt.checks + 1
        )
    )


def check(attempt_id: int, *, now: dt.datetime | None = None) -> str:
    """R-PAY-6: an attempt due for a check. Never sent (its task was lost) → send it; sent with
    no answer recorded, or unknown → query by out_biz_no first: made → confirmed; refused →
    refused; not there → the same out_biz_no is sent again (the provider would refuse a
    second transfer under it anyway); still unknown → later, with backoff."""
    now = now or timezone.now()
    attempt = PayoutAttempt.objects.select_related("claim").filter(pk=attempt_id).first()
    if attempt is None or attempt.next_check_at is None or attempt.next_check_at > now:
        return str(attempt.status) if attempt else ""
    if attempt.status == S.CREATED:
        return send(attempt_id, now=now)
    if attempt.status not in (S.SENT, S.UNKNOWN) or not _claim_check(attempt, now):
        return str(attempt.status)
    outcome = get_provider().query(attempt.out_biz_no)
    if outcome.result != Result.ABSENT:
        return record(attempt_id, outcome, now=now)
    with transaction.atomic():
        attempt = _locked(attempt_id)
        if attempt.status == S.SENT:
            apply_transition(attempt, "lose_track", _actor(), at=now, reason=outcome.code)
        if attempt.status != S.UNKNOWN:
            return str(attempt.status)
        attempt.next_check_at = now + answer_wait()
        apply_transition(attempt, "resend", _actor(), at=now, reason=outcome.code)
    return _call_and_record(attempt, now)


def check_due(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """The sweep: every attempt whose check is due. Several sweepers may run at once."""
    now = now or timezone.now()
    due = list(PayoutAttempt.objects.due_for_check(now).order_by("next_check_at").values_list("pk", flat=True)[:batch])
    return sum(1 for pk in due if check(pk, now=now) in (S.CONFIRMED, S.REFUSED))


def retry(
    attempt: PayoutAttempt, actor: Actor, *, payee: str | None = None, now: dt.datetime | None = None
) -> PayoutAttempt:
    """R-PAY-6: after a refusal, staff (or a fixed account) start a new attempt under a new number."""
    if attempt.status != S.REFUSED:
        raise Conflict(_("Only a refused transfer can be tried again."), code="payout_not_refused")
    return create_attempt(attempt.claim, attempt.kind, payee or attempt.payee, attempt.amount, actor, now=now)


def retry_refused_for_shop(shop_id: int, actor: Actor, *, now: dt.datetime | None = None) -> int:
    """R-PAY-6: the merchant fixed its payout account: every claim payout of the shop refused
    and not yet tried again goes once more, to the account as it is now."""
    now = now or timezone.now()
    refused = PayoutAttempt.objects.awaiting_fix().filter(claim__shop_id=shop_id).select_related("claim__shop")
    started = 0
    for attempt in refused.order_by("claim_id", "-created_at").distinct():
        try:
            with transaction.atomic():
                create_attempt(
                    attempt.claim, attempt.kind, attempt.claim.shop.payout_account, attempt.amount, actor, now=now
                )
        except (Conflict, RuleViolation):
            continue  # tried again meanwhile (or twice refused: the newer one was taken), or no account any more
        started += 1
    return started
