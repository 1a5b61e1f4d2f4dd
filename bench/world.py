"""The bench's world, built through the services as an operator would: one insurer and plan,
200 shops enrolled for 400 days, reviewers (with profiles), a supervisor, a merchant, and the API
clients."""

import datetime as dt

from django.contrib.auth import get_user_model

from accounts.services import bind
from catalogue.models import Insurer
from catalogue.services import shipped_plan
from claims.models import ReviewerProfile
from integrations.services import issue_client
from kernel.actors import Actor, Channel, Role
from merchants import services as merchants
from merchants.models import Shop

SHOPS = 200
REVIEWERS = 10
PLAN = "appliance_30d"


def shop_id(index):
    return f"bench-shop-{index:03d}"


def build(now, *, webhook_url=""):
    """Returns what the load needs: the platform's key, the webhook client's secret, the users."""
    insurer = Insurer.objects.create(code="bench-insurer", name="Bench Insurer")
    plan = shipped_plan(PLAN)  # with its problem codes (R-PLAN-1)
    plan.insurers.add(insurer)
    shops = Shop.objects.bulk_create(
        Shop(
            shop_id=shop_id(i),
            name=f"Bench shop {i}",
            email=f"{shop_id(i)}@example.com",
            return_address="浙江省杭州市余杭区文一西路 969 号",
            return_contact="售后组",
            return_phone="0571-88888888",
            payout_account=f"alipay-{shop_id(i)}",
        )
        for i in range(SHOPS)
    )
    staff = Actor(role=Role.SERVICE_STAFF, channel=Channel.SYSTEM, label="bench")
    supervisor = Actor(role=Role.SUPERVISOR, channel=Channel.SYSTEM, insurer_id=insurer.pk, label="bench")
    since = now - dt.timedelta(days=400)
    for shop in shops:
        enrolment = merchants.invite(shop, plan, staff, now=since)
        merchant = Actor(role=Role.MERCHANT, channel=Channel.SYSTEM, shop_id=shop.pk, label="bench")
        merchants.apply(enrolment, insurer, merchant, now=since)
        merchants.approve(enrolment, supervisor, now=since)
    users = get_user_model().objects
    reviewer = users.create_user("bench-reviewer")
    bind(reviewer, Role.REVIEWER, insurer=insurer)
    merchant = users.create_user("bench-merchant")
    bind(merchant, Role.MERCHANT, shop=shops[0])
    supervisor_user = users.create_user("bench-supervisor")
    bind(supervisor_user, Role.SUPERVISOR, insurer=insurer)
    _desk(insurer, reviewer)
    _client, platform_key = issue_client("bench platform")
    world = {
        "platform_key": platform_key,
        "reviewer": reviewer.pk,
        "merchant": merchant.pk,
        "supervisor": supervisor_user.pk,
    }
    if webhook_url:
        # The insurer's claims system hears its claims' events (and policy.issued) on the receiver.
        hook, _key = issue_client("bench insurer", role="insurer", insurer_code=insurer.code, webhook_url=webhook_url)
        world["webhook_secret"] = hook.webhook_secret
    return world


def _desk(insurer, reviewer):
    """R-ASSIGN-1: the bench reviewer and REVIEWERS more, each with a profile (off duty, so the
    load's claims wait in the pool, as the at-risk board then shows)."""
    users = get_user_model().objects
    people = [reviewer]
    for i in range(REVIEWERS):
        person = users.create_user(f"bench-reviewer-{i}")
        bind(person, Role.REVIEWER, insurer=insurer)
        people.append(person)
    ReviewerProfile.objects.bulk_create(ReviewerProfile(user=p, insurer=insurer, capacity=50) for p in people)
