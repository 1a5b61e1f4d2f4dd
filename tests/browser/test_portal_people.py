"""In a real Chromium: a colleague signs up by the one-time link from the invitation e-mail, and a
notice reads in the language of each reader's browser (R-NOTE-1), not in the trigger's."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts import invitations
from claims import services as claims
from claims.choices import ClaimStatus as S
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_colleague_signs_up_by_the_link_and_lands_in_the_shops_portal(page, live_server, mailoutbox, screenshot):
    world = World()
    invitations.invite(world.shop, "colleague@example.com", world.merchant, language="en")
    [mail] = mailoutbox
    link = re.search(r"(/portal/join/[^/]+/[^/\s]+/)", mail.body).group(1)
    page.goto(live_server.url + link)
    expect(page.get_by_text("colleague@example.com")).to_be_visible()
    page.locator("#id_password1").fill("a-Long-enough-pass-2026")
    page.locator("#id_password2").fill("a-Long-enough-pass-2026")
    screenshot("portal-join")
    page.get_by_role("button", name="Set the password and sign in").click()
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_text(world.shop.name).first).to_be_visible()


def test_r_note_1_a_notice_reads_in_each_readers_language(browser, live_server):
    world = World()
    claim = world.in_state(S.RETURN_IN_TRANSIT)
    with translation.override("zh-hans"):
        claims.mark_delivered(claim, world.platform, now=world.now)
    expected = {
        "en-US": f"Claim {claim.claim_id}: Return in transit → Awaiting receipt check",
        "zh-CN": f"理赔单 {claim.claim_id}：退货运输中 → 待签收核验",
    }
    for locale, text in expected.items():
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(f"{live_server.url}/portal/login/")
        page.locator("#id_username").fill("merchant")
        page.locator("#id_password").fill("pw-for-tests-1")
        page.locator("button[type=submit]").click()
        page.goto(f"{live_server.url}/portal/notices/")
        expect(page.get_by_text(text)).to_be_visible()
        context.close()
