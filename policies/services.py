"""Orders, policies and premium invoices (domain.md §4, §10)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from audit.models import TransitionLog
from audit.services import apply_transition, run_transition, transition_row
from catalogue.models import Plan
from kernel import bulk
from kernel.actors import Actor, require
from kernel.errors import Conflict, RuleViolation
from kernel.money import to_fen
from ledger import services as ledger
from ledger.models import EntryKind
from merchants.models import Shop
from merchants.services import covers_for
from notices.services import event as notice_event
from notices.services import publish_many

from .choices import InvoiceStatus, NotCovered, OrderEventType, PolicyStatus
from .models import Invoice, Policy, SubOrder
from .workflow import TRANSITIONS

ORDER_FIELDS = ("order_id", "buyer_id", "product_id", "paid_amount", "placed_at")


def _same_order(existing, item, shop, plan):
    return (
        all(getattr(existing, f) == item[f] for f in ORDER_FIELDS)
        and existing.shop_id == shop.pk
        and existing.warranty_plan_id == (plan.pk if plan else None)
    )


def record_orders(items, actor):
    """Create sub-orders, all or nothing (R-POL-1 decided at placement).

    `items` are parsed dicts (api.md: sub_order_id, order_id, shop_id, buyer_id, product_id,
    warranty_plan, paid_amount, placed_at). Returns [(sub_order, created)] in input order.
    Identical resends are no-ops; the same id with other content is a conflict. The number of
    queries does not grow with the number of items.
    """
    require(actor, "record_orders", TRANSITIONS)
    try:
        return _record_orders(items)
    except IntegrityError:
        # Another call recorded some of these sub-orders between our read and our insert: read
        # again, and they are resends (or conflicts) like any other.
        return _record_orders(items)


@transaction.atomic
def _record_orders(items):
    shops = {s.shop_id: s for s in Shop.objects.filter(shop_id__in={i["shop_id"] for i in items})}
    plan_codes = {i["warranty_plan"] for i in items if i.get("warranty_plan")}
    plans = {p.code: p for p in Plan.objects.filter(code__in=plan_codes)}
    errors = {}
    for index, item in enumerate(items):
        if item["shop_id"] not in shops:
            errors[f"{index}.shop_id"] = [_("Unknown shop %s.") % item["shop_id"]]
        if item.get("warranty_plan") and item["warranty_plan"] not in plans:
            errors[f"{index}.warranty_plan"] = [_("Unknown plan %s.") % item["warranty_plan"]]
        if item["paid_amount"] <= 0:
            errors[f"{index}.paid_amount"] = [_("Must be greater than 0.")]
    if errors:
        raise RuleViolation(_("Some orders refer to unknown shops or plans."), code="invalid_orders", fields=errors)

    existing = SubOrder.objects.in_bulk([i["sub_order_id"] for i in items], field_name="sub_order_id")
    seen, to_create, results = {}, [], []
    for item in items:
        shop, plan = shops[item["shop_id"]], plans.get(item.get("warranty_plan") or "")
        prior = existing.get(item["sub_order_id"]) or seen.get(item["sub_order_id"])
        if prior is not None:
            if not _same_order(prior, item, shop, plan):
                raise Conflict(
                    _("Sub-order %s was already recorded with other content.") % item["sub_order_id"],
                    code="sub_order_conflict",
                    fields={"sub_order_id": [item["sub_order_id"]]},
                )
            results.append((prior, False))
            continue
        order = SubOrder(
            sub_order_id=item["sub_order_id"],
            shop=shop,
            warranty_plan=plan,
            **{f: item[f] for f in ORDER_FIELDS},
        )
        seen[order.sub_order_id] = order
        to_create.append(order)
        results.append((order, True))

    covers = covers_for([(o.shop_id, o.warranty_plan_id, o.placed_at) for o in to_create if o.warranty_plan_id])
    for order in to_create:
        cover = covers.get((order.shop_id, order.warranty_plan_id, order.placed_at))
        if cover:
            order.enrolment_id, order.insurer_id, order.rate = cover
        else:
            order.not_covered_reason = NotCovered.NO_PLAN if order.warranty_plan_id is None else NotCovered.NOT_ENROLLED
    bulk.insert(SubOrder, to_create)
    return results


def premium_for(paid_amount, rate):
    """R-POL-3: paid amount × rate in force at placement, half-up to the fen."""
    return to_fen(paid_amount * rate)


@transaction.atomic
def record_order_events(events, actor):
    """Apply shipped / receipt_confirmed / cancelled events in order (R-POL-2, R-POL-4).

    An unknown sub-order refuses the whole call. Replays are no-ops. Returns one outcome per
    event: "applied", "replayed", "ignored" (a shipment after a cancellation), or "refused" with
    a code (a cancellation of a policy whose claim is open or paid).

    One event or a thousand go through the same rules; what they change is collected and written
    in a fixed number of statements (bulk inserts and updates on rows held locked), so the number
    of queries does not grow with the number of events."""
    require(actor, "record_events", TRANSITIONS)
    ids = {e["sub_order_id"] for e in events}
    orders = (
        SubOrder.objects.select_for_update(of=("self",))
        .select_related("warranty_plan")
        .in_bulk(ids, field_name="sub_order_id")
    )
    unknown = sorted(ids - set(orders))
    if unknown:
        raise RuleViolation(
            _("Unknown sub-orders: %s.") % ", ".join(unknown[:20]),
            code="unknown_sub_order",
            fields={"sub_order_id": unknown[:100]},
        )
    policies = {p.sub_order_id: p for p in Policy.objects.select_for_update().filter(sub_order__in=orders.values())}
    cancelling = {orders[e["sub_order_id"]].pk for e in events if e["type"] == OrderEventType.CANCELLED}
    batch = _Changes(actor, policies, cancelling)
    handlers = {
        OrderEventType.SHIPPED: _shipped,
        OrderEventType.RECEIPT_CONFIRMED: _receipt_confirmed,
        OrderEventType.CANCELLED: _cancelled,
    }
    outcomes = [handlers[e["type"]](orders[e["sub_order_id"]], batch, e["at"]) for e in events]
    batch.write()
    return outcomes


class _Changes:
    """What one call of record_order_events changes, held in memory and then written at once."""

    POLICY_FIELDS = ("status", "cover_starts_at", "cover_ends_at", "cancelled_at")

    def __init__(self, actor, policies, cancelling):
        self.actor = actor
        self.policies = policies  # sub-order pk → policy, existing or issued by this call
        self.orders = {}
        self.order_fields = set()  # of the events seen: a batch of shipments updates shipped_at only
        self.new_policies = []
        self.changed_policies = {}
        self.transitions = []  # (policy, name, source, target, at, reason)
        self.entries = []  # (kind, policy, at)
        self.issued = []  # (policy, order, at)
        self.invoiced_cancelled = []  # cancelled policies already on an invoice request
        cancelled = [p for key, p in policies.items() if key in cancelling]
        self.with_open_claims = _policies_with_open_claims(cancelled)
        self.rejected_claims = _rejected_claims(cancelled)

    def order_changed(self, order, field):
        self.orders[order.pk] = order
        self.order_fields.add(field)

    def issue(self, order, at):
        """R-POL-2: the policy is issued at shipment, its premium charged in the ledger (R-POL-3)."""
        plan = order.warranty_plan
        policy = Policy(
            sub_order=order,
            enrolment_id=order.enrolment_id,
            shop_id=order.shop_id,
            plan=plan,
            insurer_id=order.insurer_id,
            rate=order.rate,
            premium=premium_for(order.paid_amount, order.rate),
            coverage_hours=plan.coverage_hours,
            return_shipping_allowance=plan.return_shipping_allowance,
            issued_at=at,
        )
        self.policies[order.pk] = policy
        self.new_policies.append(policy)
        self.transitions.append((policy, "issue", "", PolicyStatus.ISSUED, at, ""))
        self.entries.append((EntryKind.PREMIUM_CHARGED, policy, at))
        self.issued.append((policy, order, at))
        return policy

    def move(self, policy, name, *, at, reason="", **kwargs):
        source = run_transition(policy, name, at=at, reason=reason, **kwargs)
        if policy.pk:
            self.changed_policies[policy.pk] = policy
        self.transitions.append((policy, name, source, policy.status, at, reason))

    def cancel(self, policy, at):
        """R-POL-2: a cancellation after shipping cancels the policy and refunds its premium."""
        self.move(policy, "cancel", at=at, reason=_("Order cancelled after shipping"))
        self.entries.append((EntryKind.PREMIUM_REFUNDED, policy, at))
        if policy.invoice_id:
            self.invoiced_cancelled.append(policy)

    def write(self):
        bulk.insert(Policy, self.new_policies)
        if self.changed_policies:
            Policy.objects.bulk_update(self.changed_policies.values(), self.POLICY_FIELDS)
        if self.orders:
            # bulk_update writes a CASE over every row per field: leave out the fields nothing changed.
            SubOrder.objects.bulk_update(self.orders.values(), sorted(self.order_fields))
        _off_requested_invoices(self.invoiced_cancelled)
        bulk.insert(
            TransitionLog,
            [
                transition_row(
                    policy, transition=name, source=source, target=target, actor=self.actor, reason=reason, at=at
                )
                for policy, name, source, target, at, reason in self.transitions
            ],
        )
        ledger.post_many(
            [
                ledger.entry(
                    kind,
                    amount=policy.premium,
                    shop_id=policy.shop_id,
                    insurer_id=policy.insurer_id,
                    plan_id=policy.plan_id,
                    policy_id=policy.pk,
                    at=at,
                )
                for kind, policy, at in self.entries
            ]
        )
        publish_many(
            [
                notice_event(
                    "policy.issued",
                    _("Policy %(no)s issued for sub-order %(sub)s.")
                    % {"no": policy.policy_no, "sub": order.sub_order_id},
                    shop_id=policy.shop_id,
                    insurer_id=policy.insurer_id,
                    policy_id=policy.pk,
                    data={
                        "policy_no": policy.policy_no,
                        "sub_order_id": order.sub_order_id,
                        "premium": str(policy.premium),
                    },
                    at=at,
                )
                for policy, order, at in self.issued
            ],
            # One per sub-order, thousands a day: integration clients get the event, people read
            # their policies in the portal's and the admin's lists rather than an inbox of them.
            stored=False,
        )


def _off_requested_invoices(policies):
    """R-INV-1: a premium refunded by a cancellation leaves the invoice request it was on while
    that is still `requested` (its total and count drop with it). An invoice already issued keeps
    it: the paper invoice exists, and the refund is in the ledger."""
    if not policies:
        return
    requested = set(
        Invoice.objects.select_for_update()
        .filter(pk__in={p.invoice_id for p in policies}, status=InvoiceStatus.REQUESTED)
        .values_list("pk", flat=True)
    )
    leaving = {}
    for policy in policies:
        if policy.invoice_id in requested:
            leaving.setdefault(policy.invoice_id, []).append(policy)
    for invoice_id, gone in leaving.items():
        Policy.objects.filter(pk__in=[p.pk for p in gone]).update(invoice=None)
        Invoice.objects.filter(pk=invoice_id).update(
            total=F("total") - sum(p.premium for p in gone), policy_count=F("policy_count") - len(gone)
        )


def _policies_with_open_claims(policies):
    """Policies whose cancellation R-POL-2 refuses: a claim on them is open (or paid, see caller)."""
    if not policies:
        return set()
    # The claims app sits above this one: reach its rows through the reverse relation.
    claims = Policy.claims.field.model.objects.filter(policy__in=policies).open()
    return set(claims.values_list("policy_id", flat=True))


def _rejected_claims(policies):
    """Policy pk → its rejected claims, which R-DIS-1 may still reopen through an appeal."""
    if not policies:
        return {}
    claims = {}
    for claim in Policy.claims.field.model.objects.filter(policy__in=policies, status="rejected"):
        claims.setdefault(claim.policy_id, []).append(claim)
    return claims


def _outcome(order, event_type, result, code=""):
    return {"sub_order_id": order.sub_order_id, "type": event_type, "result": result, "code": code}


def _shipped(order, batch, at):
    if order.shipped_at or order.cancelled_at:
        # Replayed, or cancelled before shipping: R-POL-2 gives such an order no policy.
        return _outcome(order, "shipped", "replayed" if order.shipped_at else "ignored")
    order.shipped_at = at
    batch.order_changed(order, "shipped_at")
    if order.covered:
        policy = batch.issue(order, at)
        if order.receipt_confirmed_at:
            batch.move(policy, "start_cover", at=at, receipt_at=order.receipt_confirmed_at)
    return _outcome(order, "shipped", "applied")


def _receipt_confirmed(order, batch, at):
    if order.receipt_confirmed_at:
        return _outcome(order, "receipt_confirmed", "replayed")
    order.receipt_confirmed_at = at
    batch.order_changed(order, "receipt_confirmed_at")
    policy = batch.policies.get(order.pk)
    if policy and policy.status == PolicyStatus.ISSUED:
        batch.move(policy, "start_cover", at=at, receipt_at=at)
    return _outcome(order, "receipt_confirmed", "applied")


def _cancelled(order, batch, at):
    if order.cancelled_at:
        return _outcome(order, "cancelled", "replayed")
    policy = batch.policies.get(order.pk)
    if policy and policy.status in (PolicyStatus.ISSUED, PolicyStatus.IN_COVER):
        if policy.claim_paid or policy.pk in batch.with_open_claims:
            return _outcome(order, "cancelled", "refused", "claim_open")
        if any(claim.may_still_be_appealed(at) for claim in batch.rejected_claims.get(policy.pk, ())):
            # R-POL-2 x R-DIS-1: a rejection the buyer may still appeal could yet be paid, so the
            # policy stays (premium kept) until the appeal window closes (docs/api.md §5).
            return _outcome(order, "cancelled", "refused", "claim_appealable")
        batch.cancel(policy, at)
    order.cancelled_at = at
    batch.order_changed(order, "cancelled_at")
    return _outcome(order, "cancelled", "applied")


def expire_policies(now: dt.datetime, limit: int = 500) -> int:
    """Policy expiry timer: cover has ended. Several sweepers may run at once."""
    actor = Actor.timer()
    done = 0
    with transaction.atomic():
        for policy in Policy.objects.due_to_expire(now).select_for_update(skip_locked=True)[:limit]:
            apply_transition(policy, "expire", actor, at=now, reason=_("Cover ended"))
            done += 1
    return done


def mark_claim_paid(policy_id: int) -> None:
    """The 理赔成功 label on the policy once one of its claims is paid."""
    Policy.objects.filter(pk=policy_id).update(claim_paid=True)


# Invoices have a module of their own; their use cases are part of this app's services.
from .invoices import (  # noqa: E402, F401
    flag_late_invoices,
    invoiceable_policies,
    issue_invoice,
    new_invoice_no,
    refuse_invoice,
    request_invoice,
    ship_invoice,
)
