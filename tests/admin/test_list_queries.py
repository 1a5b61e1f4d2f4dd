"""Speed: every list page costs the same number of queries for 10 rows as for 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import history
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Appeal, ClaimFlag, MerchantReport, NonPerformanceFinding, ReceiptDispute
from ledger.models import Entry
from merchants.models import Rate, ShopChange
from notices.models import Notice
from policies import services as policies

from .bulk import claims_like, clone, unique, with_related


def _claims(world, n):
    claim = world.claim()
    claims.assign(claim, world.reviewer_user, world.reviewer)
    made = claims_like(claim, n)
    with_related(made, claim.flags.first() or _flag(claim))
    return made


def _flag(claim):
    return ClaimFlag.objects.create(claim=claim, code="abnormal_buyer", raised_at=claim.opened_at)


def _disputes(world, n):
    claim = world.in_state(S.RECEIPT_DISPUTED)
    with_related(claims_like(claim, n), ReceiptDispute.objects.get(claim=claim))


def _appeals(world, n):
    claim = world.in_state(S.UNDER_APPEAL)
    with_related(claims_like(claim, n), Appeal.objects.get(claim=claim))


def _findings(world, n):
    claim = world.in_state(S.RECEIPT_DISPUTED)
    claims.resolve_receipt_dispute(claim, world.staff, outcome="overturn", note="x", now=world.now)
    made = claims_like(claim, n)
    with_related(made, NonPerformanceFinding.objects.get(claim=claim), sub_order=lambda i: made[i].sub_order)


def _reports(world, n):
    claim = world.claim()
    claims.report_buyer(world.merchant, note="可疑", claim=claim, now=world.now)
    with_related(claims_like(claim, n), MerchantReport.objects.get(claim=claim))


def _buyers(world, n):
    """Buyers the viewer may see: each with a refund request of their own."""
    claim = world.claim()
    buyers = clone(claim.buyer, n, buyer_id=unique("buyer"))
    requests = [made.refund_request for made in claims_like(claim, n)]
    for request_, buyer in zip(requests, buyers, strict=True):
        request_.buyer = buyer
    type(claim.refund_request).objects.bulk_update(requests, ["buyer"])


def _requests(world, n):
    claims_like(world.claim(), n)


def _entries(world, n):
    claim = world.claim()
    made = claims_like(claim, n)
    clone(Entry.objects.filter(policy=claim.policy).first(), n, policy=lambda i: made[i].policy)


def _shops_and_enrolments(world, n):
    shops = clone(world.shop, n, shop_id=unique("shop"))
    enrolments = clone(world.enrolment, n, shop=lambda i: shops[i])
    clone(Rate.objects.filter(enrolment=world.enrolment).first(), n, enrolment=lambda i: enrolments[i])
    clone(ShopChange(shop=world.shop, field="email", changed_at=world.now), n, shop=lambda i: shops[i])


def _invoices(world, n):
    world.claim()
    invoice = policies.request_invoice(
        world.shop,
        world.insurer,
        world.merchant,
        period_start=(world.now.date().replace(day=1)).replace(year=world.now.year - 1),
        period_end=world.now.date(),
    )
    clone(invoice, n, invoice_no=unique("INV"))


def _notices(world, n):
    claim = world.claim()
    clone(Notice.objects.filter(claim=claim, audience="insurer").first(), n)


def _transitions(world, n):
    claim = world.claim()
    clone(history(claim).first(), n)


PAGES = [
    ("reviewer", "/admin/backoffice/queuedclaim/", _claims),
    ("reviewer", "/admin/claims/claim/", _claims),
    ("staff", "/admin/claims/claim/?flag=abnormal_buyer", _claims),
    ("staff", "/admin/claims/receiptdispute/", _disputes),
    ("staff", "/admin/claims/appeal/", _appeals),
    ("staff", "/admin/claims/nonperformancefinding/", _findings),
    ("staff", "/admin/claims/merchantreport/", _reports),
    ("staff", "/admin/claims/buyer/", _buyers),
    ("staff", "/admin/claims/refundrequest/", _requests),
    ("staff", "/admin/policies/policy/", _requests),
    ("staff", "/admin/policies/suborder/", _requests),
    ("supervisor", "/admin/policies/invoice/", _invoices),
    ("supervisor", "/admin/ledger/entry/", _entries),
    ("supervisor", "/admin/ledger/entry/balances/", _entries),
    ("supervisor", "/admin/merchants/enrolment/", _shops_and_enrolments),
    ("staff", "/admin/merchants/shop/", _shops_and_enrolments),
    ("staff", "/admin/merchants/shopchange/", _shops_and_enrolments),
    ("reviewer", "/admin/notices/notice/", _notices),
    ("staff", "/admin/audit/transitionlog/", _transitions),
]


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize(("role", "url", "build"), PAGES, ids=[url for _role, url, _build in PAGES])
def test_list_pages_cost_the_same_queries_for_10_and_500_rows(world, login, role, url, build):
    client = login(getattr(world, f"{role}_user"))
    build(world, 10)
    few, response = _queries(client, url)
    assert response.content.decode().count("<tr") >= 10
    build(world, 490)
    many, _response = _queries(client, url)
    assert few == many
