"""Service staff's day: invitations, exits, buyers, reports, receipt disputes, appeals, findings."""

import datetime as dt
import re

from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Buyer, Claim, MerchantReport, NonPerformanceFinding
from kernel.timeutil import SHANGHAI, shanghai_date
from ledger.models import Entry
from merchants.models import Enrolment, ShopChange

from ..factories import ShopFactory
from .helpers import act_url, claim_url, seen_of


def post_action(client, obj, action, **data):
    page = client.get(act_url(obj, action))
    assert page.status_code == 200, page.status_code
    return client.post(act_url(obj, action), {"seen": seen_of(page, action), **data})


def test_r_enr_1_staff_invite_a_shop_to_a_plan(world, login):
    shop = ShopFactory(shop_id="shop-new")
    client = login(world.staff_user)
    assert 'data-action="invite"' in client.get(reverse("admin:merchants_shop_change", args=[shop.pk])).content.decode()
    response = post_action(client, shop, "invite", plan=world.plan.pk, reason="家电行业定向邀请")
    assert response.status_code == 302
    assert Enrolment.objects.get(shop=shop, plan=world.plan).status == "invited"


def test_r_exit_1_staff_file_and_complete_an_exit_seeing_the_cover_left_and_the_rejoin_date(world, login):
    world.claim()  # a policy in cover with an open claim stays in force (R-EXIT-2)
    enrolment = world.enrolment
    client = login(world.staff_user)
    page = client.get(act_url(enrolment, "file_exit")).content.decode()
    assert "Policies in cover" in page and "may apply again from" in page
    assert post_action(client, enrolment, "file_exit", reason="商家主动申请退出").status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == "exit_requested"
    response = post_action(client, enrolment, "complete_exit", reason="退出手续办结")
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.exit_reason) == ("exited", "退出手续办结")
    rejoin = dt.datetime.combine(shanghai_date(enrolment.exited_at) + dt.timedelta(days=91), dt.time.min, SHANGHAI)
    html = client.get(reverse("admin:merchants_enrolment_change", args=[enrolment.pk])).content.decode()
    assert f"{rejoin:%Y-%m-%d} 00:00" in html  # R-EXIT-3
    assert "Open claims (still reviewed and paid)" in html


def test_r_exit_1_an_exit_needs_a_reason(world, login):
    client = login(world.staff_user)
    response = post_action(client, world.enrolment, "file_exit", reason="")
    assert response.status_code == 400
    assert Enrolment.objects.get(pk=world.enrolment.pk).status == "active"


def test_r_exit_1_reviewers_and_supervisors_cannot_process_exits(world, login):
    for user in (world.reviewer_user, world.supervisor_user):
        client = login(user)
        assert client.post(act_url(world.enrolment, "file_exit"), {"seen": "x", "reason": "r"}).status_code == 403
    assert Enrolment.objects.get(pk=world.enrolment.pk).status == "active"


def test_staff_change_a_shops_return_address_and_the_change_is_logged(world, login):
    shop = world.shop
    client = login(world.staff_user)
    url = reverse("admin:merchants_shop_change", args=[shop.pk])
    data = {
        "return_address": "上海市浦东新区 1 号",
        "return_contact": shop.return_contact,
        "return_phone": shop.return_phone,
        "payout_account": shop.payout_account,
        "email": shop.email,
        "language": shop.language,
        **{f"{prefix}-{key}": value for prefix in ("enrolments", "changes") for key, value in _empty_inline().items()},
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = ShopChange.objects.get(shop=shop)
    assert (change.field, change.new_value, change.user) == ("return_address", "上海市浦东新区 1 号", world.staff_user)


def _empty_inline():
    return {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "0"}


def test_r_abuse_2_staff_revoke_and_restore_a_buyers_eligibility_with_a_reason(world, login):
    claim = world.claim(level="high")
    buyer = claim.buyer
    client = login(world.staff_user)
    assert post_action(client, buyer, "revoke", reason="蓄意牟利:多次使用同一照片").status_code == 302
    buyer.refresh_from_db()
    assert (buyer.level, buyer.revoked_reason) == ("revoked", "蓄意牟利:多次使用同一照片")
    page = client.get(reverse("admin:claims_buyer_change", args=[buyer.pk])).content.decode()
    assert 'data-action="restore"' in page and 'data-action="revoke"' not in page
    assert post_action(client, buyer, "restore", reason="申诉成立").status_code == 302
    assert Buyer.objects.get(pk=buyer.pk).level == "high"


def test_r_abuse_1_staff_review_a_merchants_report_and_revoke_the_buyer(world, login):
    claim = world.claim()
    report = claims.report_buyer(world.merchant, note="同一买家多次索赔", claim=claim, now=world.now)
    client = login(world.staff_user)
    html = client.get(reverse("admin:claims_merchantreport_changelist") + "?open=yes").content.decode()
    assert "同一买家多次索赔" in html
    response = post_action(client, report, "review", note="核实为蓄意牟利", revoke="on")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.reviewed_at is not None and report.review_note == "核实为蓄意牟利"
    assert Buyer.objects.get(pk=claim.buyer_id).level == "revoked"
    assert client.get(act_url(report, "review")).status_code == 302  # not offered any more
    assert client.post(act_url(report, "review"), {"seen": "open", "note": "again"}).status_code == 409
    assert MerchantReport.objects.get(pk=report.pk).review_note == "核实为蓄意牟利"


def test_r_ret_4_r_pen_1_overturning_a_receipt_rejection_writes_10000_points_to_the_ledger(world, login):
    claim = world.in_state(S.RECEIPT_DISPUTED)
    client = login(world.staff_user)
    html = client.get(reverse("admin:claims_receiptdispute_changelist") + "?open=yes").content.decode()
    assert claim.claim_id in html
    page = client.get(claim_url(claim))
    response = client.post(
        act_url(claim, "overturn_receipt_rejection"),
        {"seen": seen_of(page, "overturn_receipt_rejection"), "note": "物流称重与商品一致"},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "refund_due"
    finding = NonPerformanceFinding.objects.get(claim=claim)
    assert (finding.kind, finding.points) == ("receipt_overturned", 10000)
    entry = Entry.objects.get(claim=claim, kind="points_granted")
    assert (entry.points, entry.finding_id) == (10000, finding.pk)
    html = client.get(claim_url(claim)).content.decode()
    assert 'data-points="10000"' in html and 'data-kind="points_granted"' in html


def test_r_ret_4_upholding_a_receipt_rejection_closes_the_claim_unpaid(world, login):
    claim = world.in_state(S.RECEIPT_DISPUTED)
    client = login(world.staff_user)
    page = client.get(claim_url(claim))
    client.post(
        act_url(claim, "uphold_receipt_rejection"),
        {"seen": seen_of(page, "uphold_receipt_rejection"), "note": "空包裹属实"},
    )
    claim.refresh_from_db()
    assert claim.status == "closed_receipt_rejected"
    assert not Entry.objects.filter(claim=claim).exists()


def test_r_dis_1_staff_change_a_decision_on_appeal(world, login):
    claim = world.in_state(S.UNDER_APPEAL)
    client = login(world.staff_user)
    assert claim.claim_id in client.get(reverse("admin:claims_appeal_changelist") + "?open=yes").content.decode()
    page = client.get(claim_url(claim))
    data = {"seen": seen_of(page, "change_decision"), "approved_amount": "150.00", "problem_code": "", "note": "部分"}
    response = client.post(act_url(claim, "change_decision"), data)
    assert response.status_code == 422  # a rejection had no problem code to keep (R-REV-3)
    assert "problem code" in response.content.decode()
    response = client.post(act_url(claim, "change_decision"), {**data, "problem_code": "no_power"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, str(claim.approved_amount)) == ("awaiting_return", "150.00")
    assert claim.appeal_record.outcome == "change"


def test_r_dis_1_staff_uphold_a_decision_on_appeal(world, login):
    claim = world.in_state(S.UNDER_APPEAL)
    client = login(world.staff_user)
    page = client.get(claim_url(claim))
    client.post(act_url(claim, "uphold_appeal"), {"seen": seen_of(page, "uphold_appeal"), "note": "维持原判"})
    claim.refresh_from_db()
    assert claim.status == "rejected" and claim.appeal_record.outcome == "uphold"


def test_r_pen_1_staff_record_an_overdue_refund_once(world, login):
    claim = world.in_state(S.REFUND_DUE)
    claims.process_deadlines(world.now + dt.timedelta(hours=claim.refund_due_hours + 1))
    client = login(world.staff_user)
    page = client.get(claim_url(claim))
    assert 'id="act-refund_finding"' in page.content.decode()
    client.post(act_url(claim, "refund_finding"), {"seen": seen_of(page, "refund_finding"), "reason": "48 小时未退款"})
    assert Entry.objects.get(claim=claim, kind="points_granted").points == 10000
    page = client.get(claim_url(claim)).content.decode()
    assert 'id="act-refund_finding"' not in page
    assert len(re.findall(r'data-kind="points_granted"', page)) == 1
    assert Claim.objects.get(pk=claim.pk).status == "refund_due"  # a finding never moves the claim
