"""Every list page runs the same number of queries for a few rows as for many (no query per row)."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from kernel.timeutil import shanghai_date
from policies import services as policies
from tests.factories import image_upload

STATES = (S.AWAITING_RECEIPT, S.RETURN_IN_TRANSIT, S.AWAITING_RETURN, S.REFUND_DUE, S.PAID, S.REJECTED)


def _grow(world):
    """One more claim in each state, a request kept by the merchant, and an invoice of what is new."""
    for state in STATES:
        world.in_state(state)
    world.refund(world.delivered_order(), reason="no_longer_needed")
    start = shanghai_date(world.now - dt.timedelta(days=30))
    policies.request_invoice(
        world.shop, world.insurer, world.merchant, period_start=start, period_end=shanghai_date(world.now)
    )
    world.in_state(S.AWAITING_RECEIPT, shop=world.other_shop)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


LISTS = [
    reverse("portal:home"),
    reverse("portal:refunds"),
    reverse("portal:refunds") + "?business_type=warranty",
    reverse("portal:claims"),
    reverse("portal:claims") + "?status=open&deadline=any",
    reverse("portal:policies"),
    reverse("portal:policies") + "?with_claims=on",
    reverse("portal:ledger"),
    reverse("portal:invoices"),
    reverse("portal:notices"),
    reverse("portal:enrolment"),
    reverse("portal:shop"),
]


EXPORTS = [url + ("&" if "?" in url else "?") + "format=csv" for url in LISTS[1:9]]


def test_list_pages_and_exports_run_a_fixed_number_of_queries(merchant_client, world):
    _grow(world)
    few = {url: _queries(merchant_client, url) for url in LISTS + EXPORTS}
    _grow(world)
    _grow(world)
    many = {url: _queries(merchant_client, url) for url in LISTS + EXPORTS}
    assert many == few


def test_the_claim_page_runs_a_fixed_number_of_queries(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    url = reverse("portal:claim", args=[claim.claim_id])
    few = _queries(merchant_client, url)
    for pattern in (2, 3, 4):
        claims.add_evidence(claim, Side.MERCHANT, image_upload(pattern=pattern), world.merchant, now=world.now)
    claims.report_buyer(world.merchant, note="可疑", claim=claim, now=world.now)
    claims.confirm_receipt(claim, world.merchant, now=world.now)
    claims.complete_refund(claim, world.platform, now=world.now)
    claims.pay_out(claim.pk, now=world.now)
    assert _queries(merchant_client, url) == few


def test_invoice_pages_run_a_fixed_number_of_queries(merchant_client, world):
    start, end = shanghai_date(world.now - dt.timedelta(days=30)), shanghai_date(world.now)
    period = {"period_start": start, "period_end": end}
    world.delivered_order()
    preview = reverse("portal:invoice_request") + f"?insurer={world.insurer.pk}&period_start={start}&period_end={end}"
    few = _queries(merchant_client, preview)
    one = policies.request_invoice(world.shop, world.insurer, world.merchant, **period)
    for _ in range(3):
        world.delivered_order()
    assert _queries(merchant_client, preview) == few
    three = policies.request_invoice(world.shop, world.insurer, world.merchant, **period)
    assert (one.policy_count, three.policy_count) == (1, 3)
    assert _queries(merchant_client, reverse("portal:invoice", args=[one.invoice_no])) == _queries(
        merchant_client, reverse("portal:invoice", args=[three.invoice_no])
    )
