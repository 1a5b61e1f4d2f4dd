"""Service staff's queues show what still waits for them first, whatever the database: PostgreSQL
sorts a missing date last in ascending order, SQLite first (CI runs PostgreSQL)."""

from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S

from .helpers import result_rows


def _row_of(rows, text):
    return next(i for i, row in enumerate(rows) if text in row)


def test_r_ret_4_the_dispute_queue_lists_waiting_rejections_before_resolved_ones(world, login):
    resolved = world.in_state(S.CLOSED_RECEIPT_REJECTED)
    waiting = world.in_state(S.RECEIPT_DISPUTED)
    rows = result_rows(login(world.staff_user).get(reverse("admin:claims_receiptdispute_changelist")))
    assert len(rows) == 2
    assert _row_of(rows, waiting.claim_id) < _row_of(rows, resolved.claim_id)


def test_r_dis_1_the_appeal_queue_lists_waiting_appeals_before_resolved_ones(world, login):
    resolved = world.in_state(S.UNDER_APPEAL)
    claims.resolve_appeal(resolved, world.staff, outcome="uphold", note="维持原决定", now=world.now)
    waiting = world.in_state(S.UNDER_APPEAL)
    rows = result_rows(login(world.staff_user).get(reverse("admin:claims_appeal_changelist")))
    assert len(rows) == 2
    assert _row_of(rows, waiting.claim_id) < _row_of(rows, resolved.claim_id)


def test_r_abuse_1_the_report_queue_lists_waiting_reports_before_reviewed_ones(world, login):
    reviewed_claim, waiting_claim = world.claim(), world.claim()
    reviewed = claims.report_buyer(world.merchant, note="第一次", claim=reviewed_claim, now=world.now)
    claims.review_report(reviewed, world.staff, note="正常买家", now=world.now)
    claims.report_buyer(world.merchant, note="第二次", claim=waiting_claim, now=world.now)
    rows = result_rows(login(world.staff_user).get(reverse("admin:claims_merchantreport_changelist")))
    assert len(rows) == 2
    assert _row_of(rows, waiting_claim.claim_id) < _row_of(rows, reviewed_claim.claim_id)
