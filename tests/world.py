"""A small shared world with named actors, as healthchecks' hc/test.py does: one insurer, one
plan, two enrolled shops, and an actor for every role."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from audit.actors import Actor, Channel, Role
from claims import services as claims
from claims.choices import Side
from merchants import services as merchants
from policies import services as policies

from .factories import InsurerFactory, PlanFactory, ShopFactory, image_upload, member


class World:
    def __init__(self, now=None):
        self.now = now or timezone.now().replace(microsecond=0)
        self.insurer = InsurerFactory(code="demo-insurer", name="Demo Insurer")
        self.other_insurer = InsurerFactory(code="other-insurer", name="Other Insurer")
        self.plan = PlanFactory(
            code="appliance_30d", name="生活电器30天质保险", insurers=[self.insurer, self.other_insurer]
        )
        self.shop = ShopFactory(shop_id="shop-a")
        self.other_shop = ShopFactory(shop_id="shop-b")
        self.platform = Actor(role=Role.PLATFORM, channel=Channel.API, label="platform")
        self.timer = Actor.timer()
        self.staff_user = member("staff", Role.SERVICE_STAFF)
        self.reviewer_user = member("reviewer", Role.REVIEWER, insurer=self.insurer)
        self.supervisor_user = member("supervisor", Role.SUPERVISOR, insurer=self.insurer)
        self.merchant_user = member("merchant", Role.MERCHANT, shop=self.shop)
        self.staff = Actor.for_user(self.staff_user, Channel.ADMIN)
        self.reviewer = Actor.for_user(self.reviewer_user, Channel.ADMIN)
        self.supervisor = Actor.for_user(self.supervisor_user, Channel.ADMIN)
        self.merchant = Actor.for_user(self.merchant_user, Channel.PORTAL)
        self.other_merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=self.other_shop.pk, label="b")
        self.other_reviewer = Actor(
            role=Role.REVIEWER, channel=Channel.ADMIN, insurer_id=self.other_insurer.pk, label="x"
        )
        self.since = self.now - dt.timedelta(days=400)
        self.enrolment = self.enrol(self.shop, at=self.since)
        self.other_enrolment = self.enrol(self.other_shop, at=self.since)
        self._seq = 0

    def enrol(self, shop, *, insurer=None, at=None):
        insurer = insurer or self.insurer
        supervisor = (
            self.supervisor
            if insurer == self.insurer
            else Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=insurer.pk, label="sup")
        )
        enrolment = merchants.invite(shop, self.plan, self.staff, now=at)
        merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=shop.pk, label=shop.shop_id)
        merchants.apply(enrolment, insurer, merchant, now=at)
        return merchants.approve(enrolment, supervisor, now=at)

    def next_id(self, prefix):
        self._seq += 1
        return f"{prefix}-{self._seq}"

    def order(self, shop=None, *, paid="199.00", placed_at=None, plan="appliance_30d", buyer="buyer-1"):
        shop = shop or self.shop
        item = {
            "sub_order_id": self.next_id("so"),
            "order_id": self.next_id("o"),
            "shop_id": shop.shop_id,
            "buyer_id": buyer,
            "product_id": "kettle-1",
            "warranty_plan": plan,
            "paid_amount": Decimal(paid),
            "placed_at": placed_at or self.now - dt.timedelta(days=10),
        }
        [(sub_order, _created)] = policies.record_orders([item], self.platform)
        return sub_order

    def event(self, sub_order, type_, at):
        [outcome] = policies.record_order_events(
            [{"sub_order_id": sub_order.sub_order_id, "type": type_, "at": at}], self.platform
        )
        sub_order.refresh_from_db()
        return outcome

    def delivered_order(self, shop=None, *, paid="199.00", buyer="buyer-1", receipt_at=None):
        """A covered sub-order, shipped and received: its policy is in cover."""
        receipt_at = receipt_at or self.now - dt.timedelta(days=5)
        sub_order = self.order(shop, paid=paid, buyer=buyer, placed_at=receipt_at - dt.timedelta(days=3))
        self.event(sub_order, "shipped", receipt_at - dt.timedelta(days=2))
        self.event(sub_order, "receipt_confirmed", receipt_at)
        return sub_order

    def refund(
        self,
        sub_order,
        *,
        kind="return_refund",
        reason="quality",
        amount=None,
        requested_at=None,
        level="normal",
        description="壶底漏水",
    ):
        data = {
            "refund_id": self.next_id("rf"),
            "sub_order_id": sub_order.sub_order_id,
            "kind": kind,
            "reason": reason,
            "amount": Decimal(amount) if amount else sub_order.paid_amount,
            "description": description,
            "requested_at": requested_at or self.now,
            "buyer_level": level,
        }
        request, _created = claims.submit_refund_request(data, self.platform, now=self.now)
        return request

    def claim(
        self,
        *,
        kind="return_refund",
        amount=None,
        paid="199.00",
        buyer="buyer-1",
        level="normal",
        shop=None,
        with_image=True,
    ):
        sub_order = self.delivered_order(shop, paid=paid, buyer=buyer)
        request = self.refund(sub_order, kind=kind, amount=amount, level=level)
        claim = request.claim
        if with_image:
            claims.add_evidence(claim, Side.BUYER, image_upload(pattern=self._seq % 7 + 1), self.platform, now=self.now)
            claim.refresh_from_db()
        return claim

    def approved(self, **kwargs):
        claim = self.claim(**kwargs)
        claims.decide(claim, "approve", self.reviewer, problem_code="performance_fault", now=self.now)
        claim.refresh_from_db()
        return claim

    def merchant_for(self, claim):
        return self.merchant if claim.shop_id == self.shop.pk else self.other_merchant
