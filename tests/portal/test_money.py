"""Policies, the statement and balance, premium invoices (R-POL-3, R-PAY-4, R-INV-1, R-INV-2), and
reporting an abnormal buyer (R-ABUSE-1) through the portal."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from claims.choices import ClaimStatus as S
from claims.models import ClaimFlag, MerchantReport
from kernel.timeutil import shanghai_date
from policies import services as policies
from policies.models import Invoice, Policy


def _text(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8")


def test_policies_are_found_by_sub_order_with_premium_cover_and_claims(merchant_client, world):
    claim = world.claim()
    other = world.delivered_order()
    policy = claim.policy
    text = _text(merchant_client.get(reverse("portal:policies"), {"q": claim.sub_order.sub_order_id}))
    assert policy.policy_no in text and other.policy.policy_no not in text
    assert "¥2.99" in text  # R-POL-3: 199.00 × 1.50 %, half-up
    assert claim.claim_id in text
    assert policy.cover_ends_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in text


def test_policies_with_claims_filter_and_export(merchant_client, world):
    claim = world.claim()
    quiet = world.delivered_order()
    text = _text(merchant_client.get(reverse("portal:policies"), {"with_claims": "on"}))
    assert claim.policy.policy_no in text and quiet.policy.policy_no not in text
    export = _text(merchant_client.get(reverse("portal:policies"), {"format": "csv"}))
    rows = {line.split(",")[0].lstrip("\ufeff"): line for line in export.splitlines()}
    assert rows[claim.policy.policy_no].endswith(f",0,{claim.claim_id}")
    assert ",2.99," in rows[quiet.policy.policy_no]


def test_r_pay_4_statement_lists_entries_and_the_balance(merchant_client, world):
    paid = world.in_state(S.PAID, paid="100.00")
    text = _text(merchant_client.get(reverse("portal:ledger")))
    assert "Claim paid to merchant" in text and "Premium charged" in text
    assert "¥100.00" in text  # claims paid to the shop
    # Premiums: the paid claim's policy (1.50) plus the world's... only this shop's policies.
    premiums = sum(Policy.objects.filter(shop=world.shop).values_list("premium", flat=True))
    assert f"¥{premiums:,.2f}" in text
    export = _text(merchant_client.get(reverse("portal:ledger"), {"kind": "claim_paid", "format": "csv"}))
    lines = export.splitlines()
    assert len(lines) == 2 and ",claim_paid,100.00," in lines[1] and paid.claim_id in lines[1]


def test_statement_totals_follow_the_filter(merchant_client, world):
    world.in_state(S.PAID, paid="100.00")
    text = _text(merchant_client.get(reverse("portal:ledger"), {"kind": "premium_charged"}))
    assert "Totals for the selection" in text
    assert "Claims paid to you</dt><dd>¥0.00" in text


def _period(world):
    return {
        "period_start": shanghai_date(world.now - dt.timedelta(days=30)).isoformat(),
        "period_end": shanghai_date(world.now).isoformat(),
    }


def test_r_inv_1_the_request_shows_the_policies_and_total_first(merchant_client, world):
    first, second = world.delivered_order(), world.delivered_order(paid="300.00")
    world.delivered_order(shop=world.other_shop)
    query = {"insurer": world.insurer.pk, **_period(world)}
    preview = _text(merchant_client.get(reverse("portal:invoice_request"), query))
    assert first.policy.policy_no in preview and second.policy.policy_no in preview
    assert "¥7.49" in preview  # 2.99 + 4.50
    assert not Invoice.objects.exists()
    response = merchant_client.post(reverse("portal:invoice_request"), {**query, "title": "某某电器有限公司"})
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("portal:invoice", args=[invoice.invoice_no])
    assert (invoice.shop, invoice.total, invoice.policy_count, invoice.title) == (
        world.shop,
        Decimal("7.49"),
        2,
        "某某电器有限公司",
    )
    assert invoice.status == "requested"


def test_r_inv_1_a_premium_is_invoiced_once(merchant_client, world):
    world.delivered_order()
    query = {"insurer": world.insurer.pk, **_period(world)}
    merchant_client.post(reverse("portal:invoice_request"), query)
    again = merchant_client.post(reverse("portal:invoice_request"), query)
    assert again.status_code == 200
    assert "No premiums to invoice in this period" in again.content.decode()
    assert Invoice.objects.count() == 1


def test_r_inv_1_invoice_period_must_not_end_before_it_starts(merchant_client, world):
    """Said beside the end date, before any preview; nothing is saved."""
    world.delivered_order()
    period = _period(world)
    query = {"insurer": world.insurer.pk, "period_start": period["period_end"], "period_end": period["period_start"]}
    for response in (
        merchant_client.get(reverse("portal:invoice_request"), query),
        merchant_client.post(reverse("portal:invoice_request"), query),
    ):
        page = response.content.decode()
        assert response.status_code == 200
        assert "The period ends before it starts: choose an end on or after the start." in page
        assert 'aria-invalid="true"' in page.split('name="period_end"')[1].split(">")[0]
        assert "What the invoice will cover" not in page and "R-INV-1" not in page
    assert not Invoice.objects.exists()


def test_r_inv_2_the_merchant_follows_the_status_and_the_courier_tracking_number(merchant_client, world):
    world.delivered_order()
    period = _period(world)
    invoice = policies.request_invoice(
        world.shop,
        world.insurer,
        world.merchant,
        period_start=dt.date.fromisoformat(period["period_start"]),
        period_end=dt.date.fromisoformat(period["period_end"]),
    )
    policies.ship_invoice(invoice, world.supervisor, carrier="顺丰", tracking_number="SF1234567890")
    listing = _text(merchant_client.get(reverse("portal:invoices")))
    assert invoice.invoice_no in listing and "Shipped" in listing and "SF1234567890" in listing
    detail = _text(merchant_client.get(reverse("portal:invoice", args=[invoice.invoice_no])))
    assert "顺丰 SF1234567890" in detail
    home = _text(merchant_client.get(reverse("portal:home")))
    assert invoice.invoice_no in home  # "invoices ready"


def test_r_abuse_1_reporting_a_buyer_from_a_claim_flags_it(merchant_client, world):
    claim = world.claim()
    url = reverse("portal:report_claim_buyer", args=[claim.claim_id])
    empty = merchant_client.post(url, {"note": "  "})
    assert empty.status_code == 200 and not MerchantReport.objects.exists()
    response = merchant_client.post(url, {"note": "同一买家多次空包退货"})
    assert response["Location"] == reverse("portal:claim", args=[claim.claim_id])
    report = MerchantReport.objects.get()
    assert (report.shop, report.claim, report.note) == (world.shop, claim, "同一买家多次空包退货")
    assert ClaimFlag.objects.filter(claim=claim, code="merchant_reported").exists()
    page = _text(merchant_client.get(reverse("portal:claim", args=[claim.claim_id])))
    assert "Reported by merchant" in page and "同一买家多次空包退货" in page


def test_r_abuse_1_reporting_a_buyer_from_a_policy(merchant_client, world):
    sub_order = world.delivered_order(buyer="buyer-9")
    url = reverse("portal:report_policy_buyer", args=[sub_order.policy.policy_no])
    merchant_client.post(url, {"note": "恶意差评威胁"})
    report = MerchantReport.objects.get()
    assert (report.policy, report.buyer.buyer_id, report.claim) == (sub_order.policy, "buyer-9", None)
