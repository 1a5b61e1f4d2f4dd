"""A market simulation (issue 6): shops of different quality trade for N days through the real
services — orders, shipments, refund requests, photos, decisions, returns, disputes, refunds,
payouts — while the rate engine reprices them every 30 days. Used to show that rates follow
each shop's record. Runs in a transaction that is rolled back unless asked to keep the data."""

import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from PIL import Image

from catalogue.models import Insurer, Plan
from catalogue.services import give_taxonomy
from claims import services as claims
from claims.choices import Side
from claims.models import Claim
from kernel.actors import Actor, Channel, Role
from ledger.models import Entry, EntryKind
from merchants import services as merchants
from merchants.models import Shop
from merchants.services import current_rate
from policies import services as policies

from . import services as pricing


@dataclass(frozen=True)
class Quality:
    name: str
    claim_probability: float
    bad_parcel_probability: float  # the merchant wrongly rejects a returned parcel and loses the dispute


QUALITIES = (
    Quality("excellent", 0.003, 0.0),
    Quality("average", 0.01, 0.05),
    Quality("poor", 0.05, 0.30),
)


class Rollback(Exception):
    pass


def _photo(rng):
    image = Image.frombytes("RGB", (16, 16), bytes(rng.randrange(256) for _ in range(16 * 16 * 3)))
    buffer = io.BytesIO()
    image.resize((64, 64)).save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


class Market:
    def __init__(self, days, shops_per_quality, orders_per_day, seed, start):
        self.days, self.orders_per_day = days, orders_per_day
        self.rng = random.Random(seed)
        self.start = start
        self.platform = Actor(role=Role.PLATFORM, channel=Channel.SYSTEM, label="simulation")
        self.staff = Actor(role=Role.SERVICE_STAFF, channel=Channel.SYSTEM, label="simulation")
        self.insurer, _ = Insurer.objects.get_or_create(code="sim-insurer", defaults={"name": "Simulated insurer"})
        self.reviewer = Actor(
            role=Role.REVIEWER, channel=Channel.SYSTEM, insurer_id=self.insurer.pk, label="simulation"
        )
        self.plan, _ = Plan.objects.get_or_create(
            code="sim_appliance_30d", defaults={"name": "Simulated appliance plan"}
        )
        self.plan.insurers.add(self.insurer)
        give_taxonomy(self.plan, "appliance_30d")  # R-PLAN-1: decisions need the plan's codes
        self.shops = []
        for quality in QUALITIES:
            for i in range(shops_per_quality):
                shop, _ = Shop.objects.get_or_create(
                    shop_id=f"sim-{quality.name}-{i}",
                    defaults={"name": f"{quality.name} {i}", "return_address": "simulated", "payout_account": "sim"},
                )
                self._enrol(shop)
                self.shops.append((shop, quality))
        self.seq = 0
        self.history = []

    def _enrol(self, shop):
        enrolment = merchants.invite(shop, self.plan, self.staff, now=self.start)
        merchant = Actor(role=Role.MERCHANT, channel=Channel.SYSTEM, shop_id=shop.pk, label="simulation")
        enrolment = merchants.apply(enrolment, self.insurer, merchant, now=self.start)
        supervisor = Actor(role=Role.SUPERVISOR, channel=Channel.SYSTEM, insurer_id=self.insurer.pk, label="simulation")
        merchants.approve(enrolment, supervisor, now=self.start)

    def run(self, report=print):
        for day in range(self.days):
            now = self.start + dt.timedelta(days=day, hours=12)
            self._trade(now)
            claims.process_deadlines(now)
            if (day + 1) % 30 == 0 or day + 1 == self.days:
                pricing.recompute_rates(now)
                self.history.append(self.snapshot(day + 1, now))
                report(self.history[-1])
        return self.history

    def _trade(self, now):
        orders = []
        for shop, _quality in self.shops:
            for _ in range(self.orders_per_day):
                self.seq += 1
                orders.append(
                    {
                        "sub_order_id": f"sim-{self.seq}",
                        "order_id": f"sim-o-{self.seq}",
                        "shop_id": shop.shop_id,
                        "buyer_id": f"sim-buyer-{self.rng.randrange(5000)}",
                        "product_id": "sim-kettle",
                        "warranty_plan": self.plan.code,
                        "paid_amount": Decimal(self.rng.choice(("59.00", "129.00", "299.00"))),
                        "placed_at": now - dt.timedelta(hours=6),
                    }
                )
        recorded = policies.record_orders(orders, self.platform)
        events = [
            {"sub_order_id": o["sub_order_id"], "type": "shipped", "at": now - dt.timedelta(hours=5)} for o in orders
        ]
        events += [
            {"sub_order_id": o["sub_order_id"], "type": "receipt_confirmed", "at": now - dt.timedelta(hours=1)}
            for o in orders
        ]
        policies.record_order_events(events, self.platform)
        qualities = {shop.pk: quality for shop, quality in self.shops}
        for sub_order, _created in recorded:
            if self.rng.random() < qualities[sub_order.shop_id].claim_probability:
                self._claim(sub_order, qualities[sub_order.shop_id], now)

    def _claim(self, sub_order, quality, now):
        rng = self.rng
        kind = rng.choice(("refund_only", "return_refund"))
        request, _ = claims.submit_refund_request(
            {
                "refund_id": f"sim-rf-{sub_order.sub_order_id}",
                "sub_order_id": sub_order.sub_order_id,
                "kind": kind,
                "reason": rng.choice(("quality", "quality", "damaged", "not_as_described", "no_longer_needed")),
                "amount": sub_order.paid_amount,
                "description": "simulated problem",
                "requested_at": now,
                "buyer_level": rng.choice(("high", "normal", "normal", "low")),
            },
            self.platform,
            now=now,
        )
        claim = getattr(request, "claim", None)
        if claim is None:
            return
        claims.add_evidence(claim, Side.BUYER, _photo(rng), self.platform, now=now)
        claim.refresh_from_db()
        if claim.status == "submitted":
            roll = rng.random()
            if roll < 0.15:
                claims.decide(claim, "reject", self.reviewer, reason="not covered damage", now=now)
                return
            claims.decide(
                claim, "approve", self.reviewer, problem_code=claim.plan.problem_codes_for(claim.reason)[0], now=now
            )
            claim.refresh_from_db()
        if claim.status == "awaiting_return":
            claims.record_return_shipment(claim, self.platform, carrier="SF", tracking_number=f"T{claim.pk}", now=now)
            claims.mark_delivered(claim, self.platform, now=now)
            merchant = Actor(role=Role.MERCHANT, channel=Channel.SYSTEM, shop_id=claim.shop_id, label="simulation")
            if rng.random() < quality.bad_parcel_probability:
                claims.add_evidence(claim, Side.MERCHANT, _photo(rng), merchant, now=now)
                claims.reject_receipt(claim, merchant, reason_code="empty_parcel", note="claimed empty", now=now)
                claims.resolve_receipt_dispute(
                    claim, self.staff, outcome="overturn", note="parcel weighed full", now=now
                )
            else:
                claims.confirm_receipt(claim, merchant, now=now)
        claims.complete_refund(claim, self.platform, now=now)
        claims.pay_out(claim.pk, now=now)

    def snapshot(self, day, now):
        since = now - dt.timedelta(days=30)
        rows = []
        for shop, quality in self.shops:
            enrolment = shop.enrolments.get(plan=self.plan)
            recent = Claim.objects.filter(shop=shop, opened_at__gte=since)
            counts = recent.aggregate(
                total=Count("id"), automatic=Count("id", filter=Q(flags__code="automatic_decision"))
            )
            entries = Entry.objects.filter(shop=shop, created_at__gte=since)
            premiums = sum(e.amount for e in entries if e.kind == EntryKind.PREMIUM_CHARGED)
            paid = sum(e.amount for e in entries if e.kind in (EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID))
            rows.append(
                {
                    "shop": shop.shop_id,
                    "quality": quality.name,
                    "rate": current_rate(enrolment, now).rate,
                    "claims": counts["total"],
                    "loss_ratio": (paid / premiums).quantize(Decimal("0.01")) if premiums else None,
                    "fast_lane_share": round(counts["automatic"] / counts["total"], 2) if counts["total"] else None,
                }
            )
        return {"day": day, "rows": rows}


def simulate(days=90, shops_per_quality=2, orders_per_day=15, seed=7, keep=False, report=print):
    """Run the market and return its monthly snapshots. Nothing is kept unless `keep`."""
    start = (timezone.now() - dt.timedelta(days=days + 1)).replace(microsecond=0)
    try:
        with transaction.atomic():
            history = Market(days, shops_per_quality, orders_per_day, seed, start).run(report)
            if not keep:
                raise Rollback
    except Rollback:
        pass
    return history
