"""What a bordereau's lines are, and their columns, written once for both files (R-BDX-1).

A bordereau shows the month as it stood at its close: a date after the month is left blank, a
claim's status and decision are the ones it had then. A run long after the month therefore
gives the same lines, unless something about the month itself was corrected."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Prefetch, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from audit.models import TransitionLog
from claims.choices import CLOSED_STATES, Outcome
from claims.models import Claim, ClaimFlag, Decision
from kernel.money import to_fen
from ledger.models import Entry, EntryKind

from .periods import Period

CHUNK = 2000
PREMIUM_KINDS = (EntryKind.PREMIUM_CHARGED, EntryKind.PREMIUM_REFUNDED)
PAYMENT_KINDS = (EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID)
DECIDING = (Outcome.APPROVE, Outcome.PARTIALLY_APPROVE, Outcome.REJECT)

PREMIUM_HEADERS = [
    _("movement"),
    _("at"),
    _("policy no."),
    _("sub-order"),
    _("shop"),
    _("plan"),
    _("placed at"),
    _("issued at"),
    _("cover starts"),
    _("cover ends"),
    _("cancelled at"),
    _("paid amount"),
    _("rate"),
    _("premium"),
]
PREMIUM_MONEY = (11, 13)

CLAIMS_HEADERS = [
    _("claim id"),
    _("policy no."),
    _("shop"),
    _("kind"),
    _("reason"),
    _("problem code"),
    _("opened at"),
    _("decided at"),
    _("paid at"),
    _("closed at"),
    _("requested amount"),
    _("approved amount"),
    _("paid to merchant"),
    _("shipping allowance"),
    _("paid"),
    _("status"),
    _("flags"),
]
CLAIMS_MONEY = (10, 11, 12, 13, 14)


@dataclass
class Line:
    values: list
    amount: Decimal  # the line's part of the total: its signed premium, or what was paid on it


def _as_of(moment, period: Period):
    return moment if moment is not None and moment < period.ends_at else None


def premium_lines(insurer_id: int, period: Period):
    """A line per premium movement in the month: charged (+) or refunded (−)."""
    rows = (
        Entry.objects.filter(insurer_id=insurer_id, kind__in=PREMIUM_KINDS, created_at__range=_range(period))
        .order_by("created_at", "id")
        .values_list(
            "kind",
            "created_at",
            "policy__policy_no",
            "policy__sub_order__sub_order_id",
            "shop__shop_id",
            "plan__code",
            "policy__sub_order__placed_at",
            "policy__issued_at",
            "policy__cover_starts_at",
            "policy__cover_ends_at",
            "policy__cancelled_at",
            "policy__sub_order__paid_amount",
            "policy__rate",
            "amount",
        )
    )
    for (
        kind,
        at,
        policy_no,
        sub_order,
        shop,
        plan,
        placed,
        issued,
        starts,
        ends,
        cancelled,
        paid,
        rate,
        amount,
    ) in rows.iterator(chunk_size=CHUNK):
        premium = amount if kind == EntryKind.PREMIUM_CHARGED else -amount
        dates = [_as_of(moment, period) for moment in (placed, issued, starts, ends, cancelled)]
        yield Line([kind, at, policy_no, sub_order, shop, plan, *dates, paid, rate, premium], premium)


def premium_ledger_total(insurer_id: int, period: Period) -> Decimal:
    entries = Entry.objects.filter(insurer_id=insurer_id, kind__in=PREMIUM_KINDS, created_at__range=_range(period))
    totals = dict(entries.values_list("kind").annotate(total=Sum("amount")).order_by())
    return _fen(totals.get(EntryKind.PREMIUM_CHARGED)) - _fen(totals.get(EntryKind.PREMIUM_REFUNDED))


def claims_lines(insurer_id: int, period: Period):
    """A line per claim opened, decided, paid or closed in the month. "Paid" is any payment the
    ledger recorded on the claim in the month, the buyer's shipping allowance included, so that
    the paid column adds up to the ledger's payments of the month."""
    span = _range(period)
    claim_type = ContentType.objects.get_for_model(Claim).pk
    touched = (
        Q(opened_at__range=span)
        | Q(pk__in=Decision.objects.filter(outcome__in=DECIDING, decided_at__range=span).values("claim_id"))
        | Q(
            pk__in=Entry.objects.filter(insurer_id=insurer_id, kind__in=PAYMENT_KINDS, created_at__range=span).values(
                "claim_id"
            )
        )
        | Q(
            pk__in=TransitionLog.objects.filter(
                content_type_id=claim_type, target__in=CLOSED_STATES, at__range=span
            ).values("object_id")
        )
    )
    moves = TransitionLog.objects.filter(
        content_type_id=claim_type, object_id=OuterRef("pk"), at__lt=period.ends_at
    ).order_by("-at", "-id")
    decision = Decision.objects.filter(
        claim=OuterRef("pk"), outcome__in=DECIDING, decided_at__lt=period.ends_at
    ).order_by("-decided_at", "-id")

    def payment(kind, field, **when):
        return Subquery(Entry.objects.filter(claim=OuterRef("pk"), kind=kind, **when).values(field)[:1])

    claims = (
        Claim.objects.filter(insurer_id=insurer_id)
        .filter(touched)
        .select_related("policy", "shop")
        # The FSM mixins read `status` as a row loads: leave it in, or each row costs two queries.
        .only(
            "claim_id",
            "status",
            "kind",
            "reason",
            "opened_at",
            "requested_amount",
            "policy__policy_no",
            "policy__status",
            "shop__shop_id",
        )
        .annotate(
            status_then=Subquery(moves.values("target")[:1]),
            moved_at=Subquery(moves.values("at")[:1]),
            decided_then=Subquery(decision.values("decided_at")[:1]),
            problem_code_then=Subquery(decision.values("problem_code")[:1]),
            approved_then=Subquery(decision.values("approved_amount")[:1]),
            paid_at_then=payment(EntryKind.CLAIM_PAID, "created_at"),
            paid_merchant=payment(EntryKind.CLAIM_PAID, "amount", created_at__range=span),
            paid_allowance=payment(EntryKind.SHIPPING_ALLOWANCE_PAID, "amount", created_at__range=span),
        )
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=ClaimFlag.objects.filter(raised_at__lt=period.ends_at).order_by("raised_at", "id"),
                to_attr="flags_then",
            )
        )
        .order_by("opened_at", "id")
    )
    for claim in claims.iterator(chunk_size=CHUNK):
        merchant, allowance = _fen(claim.paid_merchant), _fen(claim.paid_allowance)
        closed = claim.moved_at if claim.status_then in CLOSED_STATES else None
        yield Line(
            [
                claim.claim_id,
                claim.policy.policy_no,
                claim.shop.shop_id,
                claim.kind,
                claim.reason,
                claim.problem_code_then or "",
                claim.opened_at,
                claim.decided_then,
                _as_of(claim.paid_at_then, period),
                closed,
                claim.requested_amount,
                _fen(claim.approved_then) if claim.approved_then is not None else None,
                merchant,
                allowance,
                merchant + allowance,
                claim.status_then,
                " ".join(sorted({flag.code for flag in claim.flags_then})),
            ],
            merchant + allowance,
        )


def paid_ledger_total(insurer_id: int, period: Period) -> Decimal:
    entries = Entry.objects.filter(insurer_id=insurer_id, kind__in=PAYMENT_KINDS, created_at__range=_range(period))
    return _fen(entries.aggregate(total=Sum("amount"))["total"])


def _range(period: Period):
    # __range is inclusive at both ends: stop a microsecond before the next month.
    return (period.starts_at, period.ends_at - dt.timedelta(microseconds=1))


def _fen(value) -> Decimal:
    # SQLite's sums drop trailing zeros (and are None over no rows).
    return to_fen(value or 0)
