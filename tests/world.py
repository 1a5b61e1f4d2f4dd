"""A small shared world with named actors, as healthchecks' hc/test.py does: one insurer, one
plan, two enrolled shops, and an actor for every role."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import AuthorityLimit
from kernel.actors import Actor, Channel, Role
from merchants import services as merchants
from policies import services as policies

from .factories import InsurerFactory, PlanFactory, ShopFactory, image_upload, member, photo_upload


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
        self.limits = self.authority_limits(self.insurer)
        self.since = self.now - dt.timedelta(days=400)
        self.enrolment = self.enrol(self.shop, at=self.since)
        self.other_enrolment = self.enrol(self.other_shop, at=self.since)
        self._seq = 0

    def enrol(self, shop, *, insurer=None, at=None, plan=None):
        insurer = insurer or self.insurer
        supervisor = (
            self.supervisor
            if insurer == self.insurer
            else Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=insurer.pk, label="sup")
        )
        enrolment = merchants.invite(shop, plan or self.plan, self.staff, now=at)
        merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=shop.pk, label=shop.shop_id)
        merchants.apply(enrolment, insurer, merchant, now=at)
        return merchants.approve(enrolment, supervisor, now=at)

    @staticmethod
    def authority_limits(insurer):
        """R-AUTH-1: each role's limit, above every amount the suite draws (¥9,999.99), appeal
        changes and overturns by one person; the rule's own tests lower them."""
        return {
            role: AuthorityLimit.objects.create(
                insurer=insurer,
                role=role,
                approve_alone_up_to=Decimal("10000.00"),
                appeal_change_needs_second=False,
                overturn_needs_second=False,
            )
            for role in (Role.REVIEWER, Role.SUPERVISOR, Role.INSURER, Role.SERVICE_STAFF)
        }

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

    def delivered_order(self, shop=None, *, paid="199.00", buyer="buyer-1", receipt_at=None, plan="appliance_30d"):
        """A covered sub-order, shipped and received: its policy is in cover."""
        receipt_at = receipt_at or self.now - dt.timedelta(days=5)
        placed_at = receipt_at - dt.timedelta(days=3)
        sub_order = self.order(shop, paid=paid, buyer=buyer, placed_at=placed_at, plan=plan)
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
        now=None,
    ):
        data = {
            "refund_id": self.next_id("rf"),
            "sub_order_id": sub_order.sub_order_id,
            "kind": kind,
            "reason": reason,
            "amount": Decimal(amount) if amount else sub_order.paid_amount,
            "description": description,
            "requested_at": requested_at or now or self.now,
            "buyer_level": level,
        }
        request, _created = claims.submit_refund_request(data, self.platform, now=now or self.now)
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
        plan="appliance_30d",
        **details,
    ):
        opened = details.get("now") or self.now
        receipt_at = opened - dt.timedelta(days=5)
        sub_order = self.delivered_order(shop, paid=paid, buyer=buyer, receipt_at=receipt_at, plan=plan)
        request = self.refund(sub_order, kind=kind, amount=amount, level=level, **details)
        claim = request.claim
        if with_image:
            upload = photo_upload(seed=self._seq)
            claims.add_evidence(claim, Side.BUYER, upload, self.platform, now=opened)
            claim.refresh_from_db()
        return claim

    def approved(self, **kwargs):
        claim = self.claim(**kwargs)
        claims.decide(claim, "approve", self.reviewer, problem_code="performance_fault", now=self.now)
        claim.refresh_from_db()
        return claim

    def merchant_for(self, claim):
        return self.merchant if claim.shop_id == self.shop.pk else self.other_merchant

    def in_state(self, state, *, kind=None, partial=False, **details):
        """A claim driven through the services to `state` (domain.md §14), as of self.now. The
        refund states are reached the refund_only way unless `kind` says otherwise; `partial`
        approves 150.00 of the requested amount instead of all of it."""
        if kind is None:
            kind = "refund_only" if state in (S.REFUND_DUE, S.REFUNDED, S.PAID) else "return_refund"
        if state == S.SUBMITTED:
            return self.claim(kind=kind, **details)
        previous, step = self._steps(kind, partial)[state]
        claim = self.in_state(previous, kind=kind, partial=partial, **details)
        step(claim)
        claim.refresh_from_db()
        return claim

    def _steps(self, kind, partial):
        """Each state's predecessor and the service call that leads from it (domain.md §14)."""
        now, platform = self.now, self.platform

        def decide(outcome, **choice):
            return lambda claim: claims.decide(claim, outcome, self.reviewer, now=now, **choice)

        if partial:
            approve = decide(
                "partially_approve", problem_code="performance_fault", approved_amount=Decimal("150.00"), reason="部分"
            )
        else:
            approve = decide("approve", problem_code="performance_fault")

        def confirm(claim):
            claims.confirm_receipt(claim, self.merchant_for(claim), now=now)

        return {
            S.EVIDENCE_REQUESTED: (S.SUBMITTED, decide("request_evidence", reason="请补充壶底照片")),
            S.REJECTED: (S.SUBMITTED, decide("reject", reason="人为损坏")),
            S.UNDER_APPEAL: (S.REJECTED, lambda claim: claims.appeal(claim, platform, reason="不服", now=now)),
            S.AWAITING_RETURN: (S.SUBMITTED, approve),
            S.CLOSED_NO_RETURN: (
                S.AWAITING_RETURN,
                lambda claim: claims.process_deadlines(now + dt.timedelta(hours=claim.return_tracking_hours)),
            ),
            S.RETURN_IN_TRANSIT: (
                S.AWAITING_RETURN,
                lambda claim: claims.record_return_shipment(
                    claim, platform, carrier="SF", tracking_number=self.next_id("SF"), now=now
                ),
            ),
            S.AWAITING_RECEIPT: (S.RETURN_IN_TRANSIT, lambda claim: claims.mark_delivered(claim, platform, now=now)),
            S.RECEIPT_DISPUTED: (S.AWAITING_RECEIPT, self.reject_parcel),
            S.CLOSED_RECEIPT_REJECTED: (
                S.RECEIPT_DISPUTED,
                lambda claim: claims.resolve_receipt_dispute(
                    claim, self.staff, outcome="uphold", note="空包裹属实", now=now
                ),
            ),
            S.REFUND_DUE: (S.AWAITING_RECEIPT, confirm) if kind == "return_refund" else (S.SUBMITTED, approve),
            S.REFUNDED: (
                S.REFUND_DUE,
                lambda claim: claims.complete_refund(
                    claim, platform, now=now, buyer_payout_account=self.buyer_account(claim)
                ),
            ),
            S.PAID: (S.REFUNDED, lambda claim: claims.pay_out(claim.pk, now=now)),
        }

    @staticmethod
    def buyer_account(claim):
        """The buyer's Alipay account the platform names on refund-completed (R-PAY-6): here, its id."""
        return claim.buyer.buyer_id

    def reject_parcel(self, claim, reason_code="empty_parcel"):
        """R-RET-3: the merchant's photo of the parcel as received, then its rejection."""
        merchant = self.merchant_for(claim)
        claims.add_evidence(claim, Side.MERCHANT, image_upload(pattern=5), merchant, now=self.now)
        return claims.reject_receipt(claim, merchant, reason_code=reason_code, note="打开是空的", now=self.now)
