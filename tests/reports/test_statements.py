"""R-STM-1: a shop's monthly statement in the portal, as a page and a PDF, equal to the ledger."""

import datetime as dt
import re
import zlib
from decimal import Decimal

import pytest
from django.test import Client

from claims.choices import ClaimStatus as S
from kernel.timeutil import SHANGHAI
from ledger import services as ledger
from ledger.models import Entry, EntryKind
from reports.periods import Period
from reports.statements import monthly_statement

pytestmark = pytest.mark.django_db


def signed_in(user):
    http = Client(HTTP_ACCEPT_LANGUAGE="en")
    http.force_login(user)
    return http


@pytest.fixture
def month(world):
    """shop-a's March: two policies, a paid claim, a policy refunded, points granted, and a
    payment a second after the month closed (April's, not March's); shop-b trades too."""
    period = Period.of(world.now)
    world.delivered_order(paid="299.00")
    paid = world.in_state(S.PAID)
    cancelled = world.delivered_order(paid="59.00").policy
    ledger.post(
        EntryKind.PREMIUM_REFUNDED,
        amount=cancelled.premium,
        shop_id=cancelled.shop_id,
        insurer_id=cancelled.insurer_id,
        plan_id=cancelled.plan_id,
        policy_id=cancelled.pk,
        at=period.ends_at - dt.timedelta(seconds=1),
    )
    on_shop = {"shop_id": paid.shop_id, "insurer_id": paid.insurer_id, "plan_id": paid.plan_id}
    ledger.post(EntryKind.POINTS_GRANTED, points=20, **on_shop, at=world.now)
    ledger.post(EntryKind.POINTS_GRANTED, points=7, **on_shop, at=period.ends_at)
    world.in_state(S.PAID, shop=world.other_shop, buyer="buyer-b", paid="999.00")
    return period


def ledger_month(shop, period):
    """The month's movements computed here from the shop's entries, by Shanghai calendar."""
    totals = {kind: Decimal("0.00") for kind in EntryKind} | {"points": 0}
    for entry in Entry.objects.filter(shop=shop):
        at = entry.created_at.astimezone(SHANGHAI)
        if (at.year, at.month) == (period.year, period.month):
            totals[entry.kind] += entry.amount
            totals["points"] += entry.points
    return totals


def test_the_statement_equals_the_ledger_for_the_shop_and_month_R_STM_1(world, month):
    statement = monthly_statement(world.shop.pk, month).total
    expected = ledger_month(world.shop, month)
    assert statement.premiums_charged == expected[EntryKind.PREMIUM_CHARGED] > 0
    assert statement.premiums_refunded == expected[EntryKind.PREMIUM_REFUNDED] > 0
    assert statement.claims_paid == expected[EntryKind.CLAIM_PAID] > 0
    assert statement.points == expected["points"] == 20
    assert statement.net == (
        expected[EntryKind.CLAIM_PAID] - expected[EntryKind.PREMIUM_CHARGED] + expected[EntryKind.PREMIUM_REFUNDED]
    )


def test_the_portal_page_shows_the_months_totals_to_its_shop_only_R_STM_1(world, month):
    page = signed_in(world.merchant_user).get("/portal/statements/", {"period": str(month)})
    assert page.status_code == 200
    html = page.content.decode()
    totals = dict(re.findall(r'data-total="(\w+)">([^<]*)<', html))
    statement = monthly_statement(world.shop.pk, month).total
    assert totals["claims_paid"] == f"¥{statement.claims_paid:,.2f}"
    assert totals["net"] == f"¥{statement.net:,.2f}"
    assert totals["points"] == "20"
    # shop-b's claim of 999.00 is on shop-b's statement, never on shop-a's.
    other = monthly_statement(world.other_shop.pk, month).total
    assert other.claims_paid > 0 and f"{other.claims_paid:,.2f}" not in html
    assert 'href="/portal/statements/"' in html and "Monthly statement" in html


def test_the_month_picker_defaults_to_the_month_just_closed_and_refuses_the_future_R_STM_1(world):
    http = signed_in(world.merchant_user)
    assert http.get("/portal/statements/").status_code == 200
    future = http.get("/portal/statements/", {"period": "2099-01"})
    assert future.status_code == 200 and "has not started yet" in future.content.decode()
    garbage = http.get("/portal/statements/", {"period": "March"})
    assert "YYYY-MM" in garbage.content.decode()
    assert http.get("/portal/statements/pdf/", {"period": "2099-01"}).status_code == 400


def test_the_statement_downloads_as_a_pdf_set_in_a_chinese_font_R_STM_1(world, month):
    response = signed_in(world.merchant_user).get("/portal/statements/pdf/", {"period": str(month)})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"statement-{world.shop.shop_id}-{month}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert b"WenQuanYi-Micro-Hei" in b"".join(pdf_objects(response.content))


def pdf_objects(pdf):
    """The PDF's objects, its compressed streams (where WeasyPrint puts the font names) opened."""
    yield pdf
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            yield zlib.decompress(stream.group(1))
        except zlib.error:
            continue


def test_staff_have_no_statement_page_R_STM_1(world):
    assert signed_in(world.supervisor_user).get("/portal/statements/").status_code == 403
