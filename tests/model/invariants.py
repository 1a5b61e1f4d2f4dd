"""What must hold after every step of a claim life (issue 13), each read from the database
independently of the service that wrote it. `violations` yields (item, message) for each breach;
`item` names the issue-13 item a check belongs to ("" for none).

OPEN lists the items still open on main: the state machine records their breaches instead of
failing (tests/model/test_claim_lives.py prints them), and each has its named regression test in
tests/model/test_regressions.py, xfailed. When an item's fix merges, remove it here."""

import datetime as dt
import json
from collections import Counter, defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum

from audit.models import TransitionLog
from claims.choices import OPEN_STATES
from claims.choices import ClaimStatus as S
from claims.figures import service_figures
from claims.models import Appeal, Claim
from integrations.models import WebhookDelivery
from ledger.models import Entry, EntryKind
from notices.models import Audience, Notice
from payments.choices import AttemptKind, AttemptStatus
from payments.models import PayoutAttempt
from policies.choices import PolicyStatus

OPEN: set[str] = set()
# R-REV-7: the only flags a merchant may see; every other code must never reach one.
MERCHANT_FLAGS = {"merchant_reported", "refund_overdue", "payout_failed"}
HIDDEN_FLAGS = ("abnormal_buyer", "duplicate_evidence", "tracking_reused", "sla_warning", "sla_breached")
DECIDING = ("approve", "partially_approve", "reject", "evidence_timeout")
ONCE = ("claim.opened", "claim.paid", "claim.appealed", "claim.appeal_resolved", "claim.flagged", "claim.sla_breached")
WEBHOOK_ONLY = ("claim.refund_due", "policy.issued")
MONEY_OUT = (EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID)


def violations(first_notice_id, since, now, merchant_client, insurer_client):
    claims = list(Claim.objects.select_related("policy", "sub_order").order_by("pk"))
    logs = defaultdict(list)
    claim_type = ContentType.objects.get_for_model(Claim)
    for log in TransitionLog.objects.filter(content_type=claim_type).order_by("pk"):
        logs[log.object_id].append(log)
    yield from _money(claims)
    yield from _one_open_claim()
    yield from _audited(claims, logs)
    yield from _notified(claims, logs, first_notice_id, merchant_client, insurer_client)
    yield from _hidden_from_merchants(first_notice_id, merchant_client)
    yield from _figures(claims, logs, since, now)


def _money(claims):
    out = defaultdict(Decimal)
    paid_at = {}
    for entry in Entry.objects.filter(kind__in=MONEY_OUT, claim__isnull=False):
        out[entry.claim_id] += entry.amount
        if entry.kind == EntryKind.CLAIM_PAID:
            paid_at[entry.claim_id] = entry.created_at
    per_sub_order = defaultdict(Decimal)
    appealed = set(Appeal.objects.values_list("claim_id", flat=True))
    for claim in claims:
        allowance = claim.policy.return_shipping_allowance
        # R-PAY-3, R-PAY-4: never more out for a claim than what was approved plus the allowance.
        if out[claim.pk] > (claim.approved_amount or Decimal("0")) + allowance:
            yield "", f"{claim.claim_id}: {out[claim.pk]} out for {claim.approved_amount} approved + {allowance}"
        if claim.pk in paid_at:
            per_sub_order[claim.sub_order] += claim.payout_amount or Decimal("0")
            if claim.policy.status == PolicyStatus.CANCELLED and paid_at[claim.pk] >= claim.policy.cancelled_at:
                # issue 13 item 2 (R-POL-2 × R-DIS-1) when the claim came back on appeal.
                item = "item 2" if claim.pk in appealed else ""
                yield item, f"{claim.claim_id} paid on cancelled policy {claim.policy.policy_no}"
    for sub_order, total in per_sub_order.items():
        # R-POL-5: the claims of a sub-order never pay out more than it was paid.
        if total > sub_order.paid_amount:
            yield "", f"sub-order {sub_order.sub_order_id}: {total} paid out of {sub_order.paid_amount}"


def _one_open_claim():
    """R-POL-5: at most one open claim per sub-order."""
    counts = Counter(Claim.objects.filter(status__in=OPEN_STATES).values_list("sub_order_id", flat=True))
    for sub_order_id, n in counts.items():
        if n > 1:
            yield "", f"sub-order pk {sub_order_id} has {n} open claims"


def _audited(claims, logs):
    """Every transition audited: the claim's history is a chain ending in its state, and what the
    claim says of its money matches the ledger."""
    ledger_paid = dict(
        Entry.objects.filter(kind=EntryKind.CLAIM_PAID).values_list("claim_id").annotate(total=Sum("amount"))
    )
    for claim in claims:
        chain = logs[claim.pk]
        state = chain[0].source if chain else claim.status
        for log in chain:
            if log.source != state:
                yield "", f"{claim.claim_id}: {log.transition} from {log.source} after {state} (a move not audited)"
            state = log.target
        if state != claim.status:
            yield "", f"{claim.claim_id} is {claim.status} but its audit trail ends in {state}"
        paid_logged = any(log.transition == "mark_paid" for log in chain)
        if paid_logged != (claim.pk in ledger_paid):
            yield "", f"{claim.claim_id}: mark_paid audited {paid_logged}, ledger payout {claim.pk in ledger_paid}"
        if claim.pk in ledger_paid and ledger_paid[claim.pk] != claim.payout_amount:
            yield "", f"{claim.claim_id}: payout {claim.payout_amount}, ledger {ledger_paid[claim.pk]}"


def _notified(claims, logs, first_notice_id, merchant_client, insurer_client):
    """R-NOTE-1: each event once per audience, and each once to every webhook client in scope."""
    notices = list(Notice.objects.filter(pk__gte=first_notice_id).order_by("pk"))
    told = Counter((n.claim_id, n.event_type, n.audience) for n in notices)
    moves = {claim.pk: sum(1 for log in logs[claim.pk] if log.transition != "open") for claim in claims}
    for claim in claims:
        for audience in (Audience.MERCHANT, Audience.INSURER):
            # The opening is announced as claim.opened; a later move as claim.status_changed unless
            # its own event (a decision, a closure) tells it: one notice per change, never more.
            if told[claim.pk, "claim.opened", audience] != 1:
                yield "", f"{claim.claim_id}: {told[claim.pk, 'claim.opened', audience]} claim.opened to the {audience}"
            if told[claim.pk, "claim.status_changed", audience] > moves[claim.pk]:
                yield "", f"{claim.claim_id}: more status_changed notices than moves to the {audience}"
    # Events a claim has once by nature (a flag once per code): never told twice to one audience,
    # whichever path raised them. Moves may repeat at one instant (evidence asked for twice).
    seen = Counter(
        (n.claim_id, n.event_type, n.audience, n.data.get("flag"))
        for n in notices
        if n.event_type in ONCE and n.claim_id
    )
    for key, n in seen.items():
        if n > 1:
            yield "", f"notice {key[1]} {key[3] or ''} to the {key[2]} sent {n} times (claim pk {key[0]})"
    for client, audience, scope in (
        (merchant_client, Audience.MERCHANT, {"shop_id": merchant_client.shop_id}),
        (insurer_client, Audience.INSURER, {"insurer_id": insurer_client.insurer_id}),
    ):
        owed = Counter(
            n.event_type
            for n in notices
            if n.audience == audience
            and n.event_type != "claim.status_changed"
            and all(getattr(n, k) == v for k, v in scope.items())
        )
        # api.md: every transition is a claim.status_changed webhook, told to people or not.
        owed["claim.status_changed"] = sum(
            moves[claim.pk] for claim in claims if all(getattr(claim, k) == v for k, v in scope.items())
        )
        deliveries = list(WebhookDelivery.objects.filter(client=client).values_list("event_type", "event_id"))
        sent = Counter(event_type for event_type, _ in deliveries)
        # Events people read in another notice of the same change are webhooks only.
        extra = {event_type: n for event_type, n in (sent - owed).items() if event_type not in WEBHOOK_ONLY}
        if owed - sent or extra:
            yield "", f"{audience} webhooks: owed {dict(owed - sent)} missing, {extra} extra"
        for event_id, n in Counter(event_id for _, event_id in deliveries).items():
            if n > 1:
                yield "", f"event {event_id} delivered {n} times to {client}"


def _hidden_from_merchants(first_notice_id, merchant_client):
    """issue 13 item 10 (R-REV-7): no hidden flag in a merchant's notices or webhook bodies."""
    texts = [
        ("notice", n.event_type, json.dumps(n.data) + n.message + n.text)
        for n in Notice.objects.filter(pk__gte=first_notice_id, audience=Audience.MERCHANT)
    ]
    texts += [
        ("webhook", d.event_type, json.dumps(d.payload)) for d in WebhookDelivery.objects.filter(client=merchant_client)
    ]
    for channel, event_type, text in texts:
        for code in HIDDEN_FLAGS:
            if code in text:
                yield "item 10", f"merchant {channel} {event_type} carries {code}"


def _out_of_review_time(claim, now):
    if claim.status == S.EVIDENCE_REQUESTED:
        return claim.review_remaining is not None and claim.review_remaining <= dt.timedelta(0)
    return claim.review_due_at is not None and claim.review_due_at <= now


def _figures(claims, logs, since, now):
    """R-KPI-1: the service figures equal a recomputation from the audit trail and the claims."""
    start, end = since - dt.timedelta(days=1), now + dt.timedelta(days=1)
    [row] = service_figures(start, end, group="insurer") or [None]
    if row is None:
        return
    ours = [c for c in claims if c.insurer_id == row["id"]]
    decided = [c for c in ours if any(log.transition in DECIDING for log in logs[c.pk])]
    expect = {
        "claims_opened": len(ours),
        "claims_decided": len(decided),
        # The payout when audited as paid; the buyer's allowance once its transfer is confirmed (R-PAY-6).
        "claims_paid": sum(
            (c.payout_amount or Decimal("0") for c in ours for log in logs[c.pk] if log.transition == "mark_paid"),
            Decimal("0.00"),
        )
        + sum(
            PayoutAttempt.objects.filter(
                claim__in=ours, kind=AttemptKind.SHIPPING_ALLOWANCE, status=AttemptStatus.CONFIRMED
            ).values_list("amount", flat=True),
            Decimal("0.00"),
        ),
    }
    for key, value in expect.items():
        if row[key] != value:
            yield "", f"figures: {key} {row[key]}, recomputed {value}"
    # issue 13 item 4: a claim past its SLA counts against compliance, decided or not.
    within = sum(1 for c in decided if c.review_due_at and c.decided_at and c.decided_at <= c.review_due_at)
    # Late as the breach sweep sees it (its flag is due at the SLA's moment); waiting for evidence the
    # clock is stopped, and the claim is late if none of its time remained when it stopped (R-REV-1).
    late = sum(1 for c in ours if c not in decided and _out_of_review_time(c, now))
    if decided or late:
        expected = round(within / (len(decided) + late), 4)
        if row["sla_compliance"] != expected:
            yield (
                "item 4",
                f"sla_compliance {row['sla_compliance']}, {within} within of {len(decided)} decided + {late} late",
            )
