"""The demo world of api.md's Operations section, built through the services (idempotent)."""

import datetime as dt
import io
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.services import bind
from catalogue.models import Insurer
from catalogue.services import shipped_plan
from kernel.actors import Actor, Channel, Role
from merchants import services as merchants
from merchants.models import Enrolment, Shop
from policies import services as policies
from policies.models import SubOrder

from . import services as claims
from .choices import Side
from .models import AuthorityLimit, Claim, RefundRequest, ReviewerProfile
from .services.assignment import add_profile

PASSWORD = "zhibao-demo-2026"
USERS = (
    ("reviewer", Role.REVIEWER, "/admin/"),
    ("supervisor", Role.SUPERVISOR, "/admin/"),
    ("staff", Role.SERVICE_STAFF, "/admin/"),
    # R-AUTH-1: the second person who confirms what staff may not decide alone.
    ("staff2", Role.SERVICE_STAFF, "/admin/"),
    ("merchant", Role.MERCHANT, "/portal/"),
    ("merchant2", Role.MERCHANT, "/portal/"),
)
SHOPS = (
    ("demo-shop", "小熊电器旗舰店", "浙江省杭州市余杭区文一西路 969 号 售后部", "alipay-demo-shop@example.com"),
    ("demo-shop-2", "九阳厨电专营店", "山东省济南市槐荫区美里路 999 号 退货组", "alipay-demo-shop-2@example.com"),
)


def _photo(seed):
    """A distinct picture per seed (random blocks), so perceptual hashes of demo photos differ."""
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(280), rng.randrange(200)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle([x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return SimpleUploadedFile(f"demo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _users(insurer, shops):
    User = get_user_model()
    logins = []
    bindings = {
        Role.REVIEWER: {"insurer": insurer},
        Role.SUPERVISOR: {"insurer": insurer},
        Role.SERVICE_STAFF: {},
    }
    for username, role, where in USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(PASSWORD)
            user.save()
        binding = bindings[role] if role in bindings else {"shop": shops[0] if username == "merchant" else shops[1]}
        bind(user, role, **binding)  # idempotent; also puts users of an older seed in their group
        logins.append((username, PASSWORD, where))
    admin, created = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
    if created:
        admin.set_password(PASSWORD)
        admin.save()
    logins.append(("admin", PASSWORD, "/admin/ (superuser)"))
    return logins


# R-AUTH-1: per role, the largest amount approved alone, and whether an appeal's change of decision
# and a receipt-dispute overturn need a second person. Above ¥2,000 a reviewer's approval waits for
# the supervisor; every change on appeal and every overturn waits for a second member of staff.
AUTHORITY_LIMITS = {
    Role.REVIEWER: (Decimal("2000.00"), True, True),
    Role.SUPERVISOR: (Decimal("20000.00"), True, True),
    Role.INSURER: (Decimal("2000.00"), True, True),
    Role.SERVICE_STAFF: (Decimal("20000.00"), True, True),
}


def _authority_limits(insurer):
    for role, (up_to, appeal_change, overturn) in AUTHORITY_LIMITS.items():
        AuthorityLimit.objects.get_or_create(
            insurer=insurer,
            role=role,
            defaults={
                "approve_alone_up_to": up_to,
                "appeal_change_needs_second": appeal_change,
                "overturn_needs_second": overturn,
            },
        )


APPLIANCE, APPAREL = "appliance_30d", "apparel_30d"
# What a buyer bought and wrote, per plan.
GOODS = {
    APPLIANCE: ("kettle-KX-12", "电水壶使用三天后底座漏水,无法加热。"),
    APPAREL: ("jacket-FZ-08", "外套穿了两次袖口开线,拉链也拉不上了。"),
}


class Demo:
    """Drives one demo claim per state, and apparel claims in several (R-PLAN-1); every id is
    fixed so a second run adds nothing."""

    def __init__(self, now, insurer, plans, shops):
        self.now, self.insurer, self.plans, self.shops = now, insurer, plans, shops
        self.platform = Actor(role=Role.PLATFORM, channel=Channel.SYSTEM, label="seed_demo")
        self.reviewer = Actor(role=Role.REVIEWER, channel=Channel.SYSTEM, insurer_id=insurer.pk, label="seed_demo")
        self.staff = Actor(role=Role.SERVICE_STAFF, channel=Channel.SYSTEM, label="seed_demo")

    def merchant(self, shop):
        return Actor(role=Role.MERCHANT, channel=Channel.SYSTEM, shop_id=shop.pk, label="seed_demo")

    def claim(
        self,
        name,
        *,
        shop=0,
        kind="return_refund",
        paid="299.00",
        amount=None,
        at_hours=-2,
        buyer=None,
        level="normal",
        reason="quality",
        photos=1,
        plan=APPLIANCE,
    ):
        """A delivered, covered sub-order of `plan` and a refund request opened `at_hours` from now."""
        shop = self.shops[shop]
        product, description = GOODS[plan]
        opened = self.now + dt.timedelta(hours=at_hours)
        receipt = opened - dt.timedelta(days=3)
        sub_order_id = f"demo-so-{name}"
        policies.record_orders(
            [
                {
                    "sub_order_id": sub_order_id,
                    "order_id": f"demo-o-{name}",
                    "shop_id": shop.shop_id,
                    "buyer_id": buyer or f"demo-buyer-{name}",
                    "product_id": product,
                    "warranty_plan": plan,
                    "paid_amount": Decimal(paid),
                    "placed_at": receipt - dt.timedelta(days=4),
                }
            ],
            self.platform,
        )
        policies.record_order_events(
            [
                {"sub_order_id": sub_order_id, "type": "shipped", "at": receipt - dt.timedelta(days=3)},
                {"sub_order_id": sub_order_id, "type": "receipt_confirmed", "at": receipt},
            ],
            self.platform,
        )
        request, _created = claims.submit_refund_request(
            {
                "refund_id": f"demo-rf-{name}",
                "sub_order_id": sub_order_id,
                "kind": kind,
                "reason": reason,
                "amount": Decimal(amount or paid),
                "description": description,
                "requested_at": opened,
                "buyer_level": level,
            },
            self.platform,
            now=opened,
        )
        claim = getattr(request, "claim", None)
        for i in range(photos if claim else 0):
            claims.add_evidence(
                claim,
                Side.BUYER,
                _photo(len(name) * 7 + i + sum(map(ord, name))),
                self.platform,
                note="问题照片",
                now=opened,
            )
        return Claim.objects.get(pk=claim.pk) if claim else request

    def approve(self, claim, at, partial_amount=None, code=None):
        if partial_amount:
            claims.decide(
                claim,
                "partially_approve",
                self.reviewer,
                problem_code=code or "not_heating",
                approved_amount=Decimal(partial_amount),
                reason="部分功能正常,按比例赔付",
                now=at,
            )
        else:
            claims.decide(claim, "approve", self.reviewer, problem_code=code or "leaking_water_or_power", now=at)
        return Claim.objects.get(pk=claim.pk)

    def build_second_approval(self):
        """R-AUTH-1: the reviewer approves ¥2,599 with a ¥2,000 limit: it waits for the supervisor."""
        claim = self.claim("second-approval", paid="2599.00", at_hours=-4)
        self.approve(claim, self.now + dt.timedelta(hours=-3))

    def returned(self, claim, at, *, delivered=True):
        claims.record_return_shipment(
            claim, self.platform, carrier="顺丰", tracking_number=f"SF{claim.pk:010d}", now=at
        )
        if delivered:
            claims.mark_delivered(claim, self.platform, now=at)
        return Claim.objects.get(pk=claim.pk)

    def disputed(self, claim, at):
        claims.add_evidence(claim, Side.MERCHANT, _photo(99), self.merchant(claim.shop), note="开箱为空", now=at)
        claims.reject_receipt(claim, self.merchant(claim.shop), reason_code="empty_parcel", note="包裹内无商品", now=at)
        return Claim.objects.get(pk=claim.pk)

    def build(self):
        h = lambda n: self.now + dt.timedelta(hours=n)  # noqa: E731 - a local shorthand for readability
        self.claim("submitted", at_hours=-2)
        self.claim("submitted-late", at_hours=-21, paid="899.00")  # past 80 % of the SLA: flagged by the timer
        c = self.claim("evidence", at_hours=-5, photos=0)
        claims.decide(c, "request_evidence", self.reviewer, reason="请补充漏水部位的清晰照片", now=h(-4))
        c = self.claim("rejected", at_hours=-30)
        claims.decide(c, "reject", self.reviewer, reason="照片显示为人为摔坏,不属质量问题", now=h(-28))
        self.approve(self.claim("awaiting-return", at_hours=-6), h(-5))
        self.returned(self.approve(self.claim("in-transit", at_hours=-30), h(-29)), h(-20), delivered=False)
        self.returned(self.approve(self.claim("awaiting-receipt", shop=1, at_hours=-50), h(-48)), h(-10))
        self.approve(self.claim("no-return", at_hours=-200), h(-199))  # the timer closes it: 168 h passed
        self.disputed(self.returned(self.approve(self.claim("disputed", at_hours=-70), h(-69)), h(-40)), h(-30))
        c = self.disputed(
            self.returned(self.approve(self.claim("dispute-upheld", at_hours=-90), h(-89)), h(-60)), h(-50)
        )
        claims.resolve_receipt_dispute(
            c, self.staff, outcome="uphold", note="物流称重记录为 0.1kg,支持商家", now=h(-40)
        )
        self.approve(self.claim("refund-due", kind="refund_only", paid="89.00", at_hours=-8), h(-7))
        c = self.approve(self.claim("refunded", kind="refund_only", paid="129.00", at_hours=-26), h(-25))
        claims.complete_refund(c, self.platform, now=self.now)  # its payout job runs once the worker starts
        c = self.returned(self.approve(self.claim("paid", at_hours=-120), h(-118)), h(-90))
        claims.confirm_receipt(c, self.merchant(c.shop), now=h(-80))
        claims.complete_refund(c, self.platform, now=h(-79))
        c = self.approve(self.claim("appeal", paid="399.00", at_hours=-40), h(-39), partial_amount="150.00")
        claims.appeal(c, self.platform, reason="商品完全无法使用,应全额退款", now=h(-20))
        self.claim("fast-lane", kind="refund_only", paid="59.00", level="high", at_hours=-3, buyer="demo-buyer-vip")
        self.claim("not-routed", reason="no_longer_needed", at_hours=-4)
        for i in range(3):  # one buyer, three claims in a month, two shops: abnormal_buyer on the third
            self.claim(f"repeat-{i}", shop=i % 2, at_hours=-(48 - i * 10), buyer="demo-buyer-repeat")

    def build_apparel(self):
        """demo-shop's apparel_30d claims, decided with the apparel taxonomy (R-PLAN-1)."""
        h = lambda n: self.now + dt.timedelta(hours=n)  # noqa: E731 - a local shorthand for readability
        apparel = {"plan": APPAREL, "paid": "359.00"}
        self.claim("apparel-submitted", at_hours=-3, **apparel)
        c = self.claim("apparel-rejected", at_hours=-40, **apparel)
        claims.decide(c, "reject", self.reviewer, reason="照片显示为人为剪破,不属质量问题", now=h(-38))
        self.approve(self.claim("apparel-awaiting-return", at_hours=-10, **apparel), h(-9), code="seam_split")
        c = self.claim("apparel-refund-due", kind="refund_only", reason="not_as_described", at_hours=-12, **apparel)
        self.approve(c, h(-11), partial_amount="120.00", code="material_mismatch")
        c = self.approve(self.claim("apparel-paid", at_hours=-150, **apparel), h(-148), code="pilling")
        c = self.returned(c, h(-120))
        claims.confirm_receipt(c, self.merchant(c.shop), now=h(-100))
        claims.complete_refund(c, self.platform, now=h(-99))


@transaction.atomic
def _world(now):
    insurer, _ = Insurer.objects.get_or_create(code="demo-insurer", defaults={"name": "众安保险(演示)"})
    plans = {code: shipped_plan(code) for code in (APPLIANCE, APPAREL)}
    for plan in plans.values():
        plan.insurers.add(insurer)
    shops = []
    since = now - dt.timedelta(days=400)
    for shop_id, name, address, account in SHOPS:
        shop, _ = Shop.objects.get_or_create(
            shop_id=shop_id,
            defaults={
                "name": name,
                "return_address": address,
                "return_contact": "售后组",
                "return_phone": "0571-88888888",
                "payout_account": account,
                "email": f"{shop_id}@example.com",
            },
        )
        shops.append(shop)
        # R-PLAN-1: demo-shop sells both plans' goods, demo-shop-2 appliances only.
        for code in (APPLIANCE, APPAREL) if shop_id == "demo-shop" else (APPLIANCE,):
            _enrol(shop, plans[code], insurer, since)
    return insurer, plans, shops


def _enrol(shop, plan, insurer, since):
    if Enrolment.objects.filter(shop=shop, plan=plan).exists():
        return
    staff = Actor(role=Role.SERVICE_STAFF, channel=Channel.SYSTEM, label="seed_demo")
    enrolment = merchants.invite(shop, plan, staff, now=since)
    merchant = Actor(role=Role.MERCHANT, channel=Channel.SYSTEM, shop_id=shop.pk, label="seed_demo")
    enrolment = merchants.apply(enrolment, insurer, merchant, now=since)
    supervisor = Actor(role=Role.SUPERVISOR, channel=Channel.SYSTEM, insurer_id=insurer.pk, label="seed_demo")
    merchants.approve(enrolment, supervisor, now=since)


def _desk(insurer):
    """R-ASSIGN-1: the demo reviewer's profile, off duty, so the claims above stay as they are; a
    supervisor puts them on duty in the admin and watches the pool go to them."""
    reviewer = get_user_model().objects.get(username="reviewer")
    if not ReviewerProfile.objects.filter(user=reviewer).exists():
        supervisor = Actor.for_user(get_user_model().objects.get(username="supervisor"), Channel.SYSTEM)
        add_profile(reviewer.pk, supervisor, on_duty=False, capacity=10)


def seed(now=None):
    now = now or timezone.now()
    insurer, plans, shops = _world(now)
    logins = _users(insurer, shops)
    demo = Demo(now, insurer, plans, shops)
    built = False
    if not SubOrder.objects.filter(sub_order_id__startswith="demo-so-").exists():
        demo.build()
        built = True
    if not SubOrder.objects.filter(sub_order_id__startswith="demo-so-apparel-").exists():
        demo.build_apparel()  # also into a world seeded before the second plan
        built = True
    if built:
        claims.process_deadlines(now)
    _authority_limits(insurer)  # after the demo's own decisions, which keep their story
    if not SubOrder.objects.filter(sub_order_id="demo-so-second-approval").exists():
        demo.build_second_approval()
    _desk(insurer)
    states = dict(Claim.objects.values_list("status").annotate(n=Count("id")).order_by())
    states["not_routed"] = RefundRequest.objects.filter(business_type="merchant").count()
    return {"states": states, "logins": logins}
