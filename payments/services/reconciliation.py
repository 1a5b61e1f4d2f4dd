"""R-PAY-7 reconciliation (对账): a Shanghai day of the provider's bill against the transfers
recorded here, line by line. Nothing is guessed: a line that cannot be read keeps the day open
and is named; each disagreement is kept with both sides until staff resolve it with a reason."""

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.actors import Actor, Role
from kernel.errors import Conflict, RoleRefused, RuleViolation
from kernel.timeutil import shanghai_date, shanghai_midnight
from payments.choices import AttemptStatus, MismatchKind
from payments.models import Mismatch, PayoutAttempt, ReconciliationDay
from payments.providers import BillLine, BillUnavailable, get_provider


def yesterday(now: dt.datetime | None = None) -> dt.date:
    return shanghai_date(now or timezone.now()) - dt.timedelta(days=1)


def _recorded(day: dt.date) -> dict[str, PayoutAttempt]:
    """The transfers confirmed as made on `day` (the provider's time), by out_biz_no."""
    start = shanghai_midnight(day)
    confirmed = PayoutAttempt.objects.filter(
        status=AttemptStatus.CONFIRMED, paid_at__gte=start, paid_at__lt=start + dt.timedelta(days=1)
    )
    return {a.out_biz_no: a for a in confirmed}


def _differences(
    ours: dict[str, PayoutAttempt], theirs: dict[str, BillLine]
) -> list[tuple[str, str, PayoutAttempt | None, BillLine | None]]:
    """(kind, out_biz_no, attempt, bill line) for every disagreement between the two sides."""
    found: list[tuple[str, str, PayoutAttempt | None, BillLine | None]] = []
    for number in sorted(set(ours) | set(theirs)):
        attempt, line = ours.get(number), theirs.get(number)
        if line is None:
            found.append((MismatchKind.MISSING_AT_PROVIDER, number, attempt, None))
            continue
        if attempt is None:
            # A transfer the provider made that is not confirmed here: an unknown attempt, or worse.
            found.append(
                (MismatchKind.MISSING_HERE, number, PayoutAttempt.objects.filter(out_biz_no=number).first(), line)
            )
            continue
        if attempt.amount != line.amount:
            found.append((MismatchKind.AMOUNT_DIFFERS, number, attempt, line))
        if attempt.payee != line.payee:
            found.append((MismatchKind.PAYEE_DIFFERS, number, attempt, line))
    return found


def reconcile_day(day: dt.date, *, now: dt.datetime | None = None) -> ReconciliationDay:
    """Fetch and match the bill for `day`. Running it again re-reads the bill: resolved
    mismatches stay resolved, disagreements that went away (an attempt since confirmed) go."""
    now = now or timezone.now()
    if day >= shanghai_date(now):
        raise RuleViolation(_("Only a day that has ended can be reconciled."), code="day_not_over")
    record, _created = ReconciliationDay.objects.get_or_create(day=day)
    try:
        bill = get_provider().bill(day)
    except BillUnavailable as exc:
        ReconciliationDay.objects.filter(pk=record.pk).update(
            checked_at=now, problem=(_("The bill could not be fetched: %(error)s") % {"error": exc})[:300]
        )
        record.refresh_from_db()
        return record
    with transaction.atomic():
        record = ReconciliationDay.objects.select_for_update().get(pk=record.pk)
        record.checked_at = now
        record.bill_lines = len(bill.lines) + len(bill.unreadable)
        record.unreadable_lines = bill.unreadable
        record.problem = ""
        if bill.unreadable:
            # Matching a partly read bill would report the unread lines' transfers as missing: a guess.
            record.matched, record.reconciled_at = 0, None
            record.save()
            return record
        theirs = {line.out_biz_no: line for line in bill.lines}
        found = _differences(_recorded(day), theirs)
        keep = []
        for kind, number, attempt, line in found:
            mismatch, _new = Mismatch.objects.get_or_create(
                day=record,
                out_biz_no=number,
                kind=kind,
                defaults={
                    "attempt": attempt,
                    "our_amount": attempt.amount if attempt else None,
                    "our_payee": attempt.payee if attempt else "",
                    "their_amount": line.amount if line else None,
                    "their_payee": line.payee if line else "",
                    "their_line": f"{line.number}: {line.text}" if line else "",
                    "found_at": now,
                },
            )
            keep.append(mismatch.pk)
        record.mismatches.filter(resolved_at__isnull=True).exclude(pk__in=keep).delete()
        record.matched = len(set(theirs) - {number for _k, number, _a, _l in found})
        _settle(record, now)
        record.save()
    return record


def _settle(record: ReconciliationDay, now: dt.datetime) -> None:
    """R-PAY-7: reconciled when the bill was read whole and no mismatch is left open."""
    open_ = record.unreadable_lines or record.mismatches.filter(resolved_at__isnull=True).exists()
    record.reconciled_at = None if open_ else (record.reconciled_at or now)


def resolve_mismatch(mismatch: Mismatch, actor: Actor, *, reason: str, now: dt.datetime | None = None) -> Mismatch:
    """R-PAY-7: service staff close a mismatch with the reason they found."""
    now = now or timezone.now()
    if actor.role != Role.SERVICE_STAFF:
        raise RoleRefused(_("Only service staff resolve reconciliation mismatches."), rule="R-PAY-7")
    if not reason.strip():
        raise RuleViolation(
            _("Say why this mismatch is resolved."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    with transaction.atomic():
        mismatch = Mismatch.objects.select_for_update(of=("self",)).select_related("day").get(pk=mismatch.pk)
        if mismatch.resolved_at:
            raise Conflict(_("This mismatch is already resolved."), code="already_resolved")
        mismatch.resolved_at, mismatch.resolved_by_id, mismatch.resolution = now, actor.user_id, reason.strip()
        mismatch.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        day = ReconciliationDay.objects.select_for_update().get(pk=mismatch.day_id)
        _settle(day, now)
        day.save(update_fields=["reconciled_at"])
    return mismatch


def unreconciled_days() -> QuerySet[ReconciliationDay]:
    """Days checked and not reconciled, for the staff home page."""
    return ReconciliationDay.objects.filter(reconciled_at__isnull=True)
