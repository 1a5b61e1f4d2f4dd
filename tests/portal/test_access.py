"""Who may use the portal, and that a shop never sees another shop's data (domain.md §1, R-NOTE-1)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import Evidence
from kernel.actors import Role
from kernel.timeutil import shanghai_date
from notices.models import Notice
from policies import services as policies
from tests.factories import member

PASSWORD = "pw-for-tests-1"


def test_merchant_signs_in_and_lands_on_the_shops_home(client, world):
    response = client.post(reverse("portal:login"), {"username": "merchant", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert world.shop.name in home.content.decode()


@pytest.mark.parametrize("username", ["staff", "reviewer", "supervisor"])
def test_staff_accounts_cannot_sign_in_to_the_portal(client, world, username):
    response = client.post(
        reverse("portal:login"), {"username": username, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "not a merchant account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_staff_user_with_a_shop_membership_is_still_refused(client, world):
    user = member("staff-with-shop", Role.MERCHANT, shop=world.shop)
    user.is_staff = True
    user.save()
    client.force_login(user)
    response = client.get(reverse("portal:claims"))
    assert response.status_code == 403


def test_a_staff_session_gets_a_refusal_page_not_a_merchant_view(client, world):
    claim = world.claim()
    client.force_login(world.staff_user)
    for url in (reverse("portal:home"), reverse("portal:claim", args=[claim.claim_id])):
        response = client.get(url)
        assert response.status_code == 403
        assert "portal/refused.html" in [t.name for t in response.templates]
        text = response.content.decode()
        assert claim.refund_request.refund_id not in text
        assert world.shop.name not in text


def test_a_superuser_without_membership_is_refused(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(admin)
    assert client.get(reverse("portal:home")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_portal_login(client, db):
    response = client.get(reverse("portal:claims"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_sign_out_is_a_post_and_ends_the_session(merchant_client):
    response = merchant_client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert merchant_client.get(reverse("portal:home")).status_code == 302


@pytest.fixture
def foreign(world):
    """Objects of shop-b, which world.merchant_user (shop-a) must never reach."""
    claim = world.in_state(S.AWAITING_RECEIPT, shop=world.other_shop)
    invoice = policies.request_invoice(
        world.other_shop,
        world.insurer,
        world.other_merchant,
        period_start=shanghai_date(world.now - dt.timedelta(days=30)),
        period_end=shanghai_date(world.now),
        now=world.now,
    )
    evidence = Evidence.objects.filter(claim=claim, side=Side.BUYER).first()
    return {"claim": claim, "invoice": invoice, "evidence": evidence}


@pytest.mark.parametrize(
    "name, args",
    [
        ("portal:claim", lambda f: [f["claim"].claim_id]),
        ("portal:evidence", lambda f: [f["claim"].claim_id, f["evidence"].pk]),
        ("portal:confirm_receipt", lambda f: [f["claim"].claim_id]),
        ("portal:reject_receipt", lambda f: [f["claim"].claim_id]),
        ("portal:reject_receipt_confirm", lambda f: [f["claim"].claim_id]),
        ("portal:report_claim_buyer", lambda f: [f["claim"].claim_id]),
        ("portal:policy", lambda f: [f["claim"].policy.policy_no]),
        ("portal:report_policy_buyer", lambda f: [f["claim"].policy.policy_no]),
        ("portal:invoice", lambda f: [f["invoice"].invoice_no]),
    ],
)
def test_another_shops_object_by_url_is_a_404(merchant_client, foreign, name, args):
    url = reverse(name, args=args(foreign))
    assert merchant_client.get(url).status_code == 404
    assert merchant_client.post(url, {"note": "x"}).status_code == 404


@pytest.mark.parametrize(
    "name, args",
    [
        ("portal:remind_buyer", lambda f: [f["claim"].claim_id]),
        ("portal:apply", lambda f: [f["claim"].policy.enrolment_id]),
    ],
)
def test_another_shops_object_is_a_404_for_actions_too(merchant_client, foreign, world, name, args):
    url = reverse(name, args=args(foreign))
    assert (
        merchant_client.post(
            url, {f"apply-{foreign['claim'].policy.enrolment_id}-insurer": world.insurer.pk}
        ).status_code
        == 404
    )


def test_another_shops_claim_cannot_be_acted_on(merchant_client, foreign, world):
    claim = foreign["claim"]
    merchant_client.post(reverse("portal:confirm_receipt", args=[claim.claim_id]))
    merchant_client.post(reverse("portal:remind_buyer", args=[claim.claim_id]))
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RECEIPT


def test_evidence_of_another_claim_cannot_be_reached_through_ones_own_claim(merchant_client, world, foreign):
    own = world.claim()
    url = reverse("portal:evidence", args=[own.claim_id, foreign["evidence"].pk])
    assert merchant_client.get(url).status_code == 404


LISTS = [
    "portal:home",
    "portal:refunds",
    "portal:claims",
    "portal:policies",
    "portal:ledger",
    "portal:invoices",
    "portal:notices",
    "portal:enrolment",
    "portal:shop",
]


@pytest.mark.parametrize("name", LISTS)
def test_r_note_1_no_page_list_or_export_shows_another_shops_data(merchant_client, world, foreign, name):
    own = world.in_state(S.AWAITING_RECEIPT)
    theirs = foreign["claim"]
    secrets = {
        theirs.claim_id,
        theirs.refund_request.refund_id,
        theirs.sub_order.sub_order_id,
        theirs.policy.policy_no,
        foreign["invoice"].invoice_no,
        world.other_shop.name,
        world.other_shop.payout_account,
    }
    assert Notice.objects.filter(shop=world.other_shop, audience="merchant").exists()
    for response in (merchant_client.get(reverse(name)), merchant_client.get(reverse(name) + "?format=csv")):
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8")
        leaked = [secret for secret in secrets if re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text)]
        assert not leaked, f"{name} shows {leaked}"
    if name in ("portal:claims", "portal:home"):
        assert own.claim_id in merchant_client.get(reverse(name)).content.decode()


def test_the_language_switch_turns_the_portal_english_and_back(merchant_client):
    response = merchant_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("portal:home")}, follow=True
    )
    assert '<html lang="en">' in response.content.decode()
    response = merchant_client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("portal:home")}, follow=True
    )
    assert '<html lang="zh-hans">' in response.content.decode()


def test_chinese_is_the_default_language(client, world, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the project's setting; tests otherwise run in English
    client.force_login(world.merchant_user)
    assert '<html lang="zh-hans">' in client.get(reverse("portal:home")).content.decode()
