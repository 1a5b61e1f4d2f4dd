"""Enrolment (R-ENR-1..3, R-EXIT-3, R-RATE-1), shop details, the home page and notices (R-NOTE-1)."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from claims.choices import ClaimStatus as S
from kernel.timeutil import shanghai_date, shanghai_midnight
from merchants import services as merchants
from merchants.choices import RateSource
from merchants.models import Enrolment, ShopChange
from notices import services as notices
from notices.models import Audience, Notice
from tests.factories import InsurerFactory, PlanFactory


def _text(response):
    return response.content.decode("utf-8")


def test_r_enr_2_the_shop_applies_to_a_plan_it_was_invited_to(merchant_client, world):
    third = InsurerFactory(code="third-insurer", name="Third Insurer")
    plan = PlanFactory(code="apparel_30d", name="服饰30天质保", insurers=[world.other_insurer, third])
    enrolment = merchants.invite(world.shop, plan, world.staff, now=world.now)
    page = _text(merchant_client.get(reverse("portal:enrolment")))
    assert "服饰30天质保" in page and "Apply for this plan" in page and "Third Insurer" in page
    response = merchant_client.post(
        reverse("portal:apply", args=[enrolment.pk]), {f"apply-{enrolment.pk}-insurer": third.pk}
    )
    assert response["Location"] == reverse("portal:enrolment")
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.insurer) == ("applied", third)


def test_r_enr_2_an_insurer_that_does_not_sell_the_plan_cannot_be_chosen(merchant_client, world):
    stranger = InsurerFactory(code="stranger")
    plan = PlanFactory(code="transit_damage", insurers=[world.insurer])
    enrolment = merchants.invite(world.shop, plan, world.staff, now=world.now)
    merchant_client.post(reverse("portal:apply", args=[enrolment.pk]), {f"apply-{enrolment.pk}-insurer": stranger.pk})
    enrolment.refresh_from_db()
    assert enrolment.status == "invited"


def test_an_active_enrolment_shows_its_rate_and_offers_no_application(merchant_client, world):
    page = _text(merchant_client.get(reverse("portal:enrolment")))
    assert "Active" in page and "1.50 %" in page and "Apply for this plan" not in page


def test_r_rate_1_the_rate_shows_its_main_reasons(merchant_client, world):
    merchants.record_rate(
        world.enrolment,
        Decimal("0.0210"),
        source=RateSource.ENGINE,
        factors={"contributions": {"claim_frequency": "0.0040", "loss_ratio": "0.0020"}},
        now=world.now - dt.timedelta(minutes=1),
    )
    page = _text(merchant_client.get(reverse("portal:enrolment")))
    assert "2.10 %" in page and "Main reasons" in page
    assert page.index("More claims than the industry") < page.index("Higher payouts than the industry")


def test_r_exit_3_an_exited_shop_sees_when_it_may_apply_again_and_is_refused_before(merchant_client, world):
    exited_at = world.now - dt.timedelta(days=10)
    merchants.request_exit(world.enrolment, world.staff, reason="经营调整", now=exited_at)
    merchants.complete_exit(world.enrolment, world.staff, now=exited_at)
    rejoin = shanghai_midnight(shanghai_date(exited_at) + dt.timedelta(days=91))
    page = _text(merchant_client.get(reverse("portal:enrolment")))
    assert "Exited" in page and f"{rejoin:%Y-%m-%d %H:%M}" in page
    response = merchant_client.post(
        reverse("portal:apply", args=[world.enrolment.pk]),
        {f"apply-{world.enrolment.pk}-insurer": world.insurer.pk},
        follow=True,
    )
    assert f"from {rejoin:%Y-%m-%d %H:%M}" in _text(response)
    assert Enrolment.objects.get(pk=world.enrolment.pk).status == "exited"


def test_shop_details_change_is_logged_and_shown(merchant_client, world):
    data = {
        "return_address": "上海市浦东新区世纪大道 100 号",
        "return_contact": "李女士",
        "return_phone": "13900000000",
        "payout_account": "alipay-new@example.com",
        "email": world.shop.email,
    }
    response = merchant_client.post(reverse("portal:shop"), data)
    assert response["Location"] == reverse("portal:shop")
    world.shop.refresh_from_db()
    assert world.shop.return_address == data["return_address"]
    changes = ShopChange.objects.filter(shop=world.shop)
    assert {c.field for c in changes} == {"return_address", "return_contact", "return_phone", "payout_account"}
    assert {(c.role, c.channel, c.user_id) for c in changes} == {("merchant", "portal", world.merchant_user.pk)}
    page = _text(merchant_client.get(reverse("portal:shop")))
    assert "alipay-new@example.com" in page and "alipay-shop-a" in page  # after and before


def test_r_enr_3_the_return_address_and_payout_account_cannot_be_blanked(merchant_client, world):
    response = merchant_client.post(
        reverse("portal:shop"), {"return_address": "", "payout_account": "", "email": world.shop.email}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"return_address", "payout_account"}
    world.shop.refresh_from_db()
    assert world.shop.ready_for_cover
    assert not ShopChange.objects.exists()


def test_home_shows_open_claims_and_this_months_money(merchant_client, world):
    world.in_state(S.AWAITING_RECEIPT)
    world.in_state(S.PAID, paid="100.00")
    world.in_state(S.PAID, shop=world.other_shop, paid="150.00")
    response = merchant_client.get(reverse("portal:home"))
    counts, month = response.context["counts"], response.context["month"]
    assert counts["open"] == 1 and counts["parcels"] == 1
    assert month["claim_paid"] == Decimal("100.00")
    # The shop's premiums charged this month (its policies in this world were all issued a week ago).
    issued = [p.premium for p in world.shop.policies.all() if p.issued_at >= response.context["month_start"]]
    assert month["net_premiums"] == sum(issued, Decimal("0.00"))


def test_r_note_1_the_inbox_shows_the_shops_notices_and_marks_them_read(merchant_client, world):
    claim = world.in_state(S.AWAITING_RETURN)
    world.in_state(S.AWAITING_RETURN, shop=world.other_shop)
    unread = Notice.objects.for_merchant(world.shop.pk).unread()
    assert unread.exists()
    home = merchant_client.get(reverse("portal:home"))
    assert home.context["unread_notices"] == unread.count()
    response = merchant_client.get(reverse("portal:notices"))
    page = _text(response)
    assert "New" in page and reverse("portal:claim", args=[claim.claim_id]) in page
    shown = {n.pk for n in response.context["page_obj"]}
    assert shown <= set(Notice.objects.for_merchant(world.shop.pk).values_list("pk", flat=True))
    assert not Notice.objects.filter(pk__in=shown, read_at__isnull=True).exists()
    assert Notice.objects.filter(shop=world.other_shop, read_at__isnull=True).exists()


def test_mark_all_read_marks_the_shops_notices_only(merchant_client, world):
    world.in_state(S.AWAITING_RETURN)
    world.in_state(S.AWAITING_RETURN, shop=world.other_shop)
    merchant_client.post(reverse("portal:notices_read"))
    assert not Notice.objects.for_merchant(world.shop.pk).unread().exists()
    assert Notice.objects.for_merchant(world.other_shop.pk).unread().exists()


def test_lists_are_paginated_and_keep_their_filters(merchant_client, world):
    for n in range(30):
        notices.publish(
            "claim.opened", f"notice {n}", shop_id=world.shop.pk, insurer_id=None, audiences=(Audience.MERCHANT,)
        )
    first = merchant_client.get(reverse("portal:notices"), {"unread": "1"})
    assert len(first.context["page_obj"]) == 25
    text = _text(first)
    assert "Page 1 of 2" in text and 'href="?unread=1&amp;page=2"' in text
    second = merchant_client.get(reverse("portal:notices"), {"page": 2})
    assert [n.message for n in second.context["page_obj"]] == [f"notice {n}" for n in range(4, -1, -1)]
    assert len(merchant_client.get(reverse("portal:notices"), {"page": "nonsense"}).context["page_obj"]) == 25
