"""Bulk actions only where safe, each behind a confirmation page and a permission check."""

from claims import services as claims
from claims.models import Claim, Decision

from ..factories import member

CLAIMS = "/admin/claims/claim/"
QUEUE = "/admin/backoffice/queuedclaim/"


def choose(action, claims_, **extra):
    return {"action": action, "_selected_action": [c.pk for c in claims_], "index": "0", **extra}


def test_bulk_assign_asks_first_then_takes_only_the_claims_nobody_else_has(world, login):
    mine, taken = world.claim(), world.claim()
    colleague = member("reviewer-2", "reviewer", insurer=world.insurer)
    claims.assign(taken, colleague, world.reviewer)
    client = login(world.reviewer_user)
    page = client.post(QUEUE, choose("assign_to_me", [mine, taken]))
    assert page.status_code == 200 and 'id="bulk-confirm"' in page.content.decode()
    assert Claim.objects.get(pk=mine.pk).assignee is None  # nothing happens before the confirmation
    response = client.post(QUEUE, choose("assign_to_me", [mine, taken], confirm="yes"), follow=True)
    assert Claim.objects.get(pk=mine.pk).assignee == world.reviewer_user
    assert Claim.objects.get(pk=taken.pk).assignee == colleague
    assert "Another reviewer is already working on this claim" in response.content.decode()


def test_r_rev_2_bulk_request_evidence_needs_what_is_missing(world, login):
    first, second = world.claim(), world.claim()
    client = login(world.reviewer_user)
    page = client.post(QUEUE, choose("request_evidence", [first, second], confirm="yes"))
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert Claim.objects.filter(status="evidence_requested").count() == 0
    client.post(QUEUE, choose("request_evidence", [first, second], confirm="yes", reason="请补充铭牌照片"))
    assert set(Claim.objects.values_list("status", flat=True)) == {"evidence_requested"}
    assert Decision.objects.filter(outcome="request_evidence", reason="请补充铭牌照片").count() == 2


def test_service_staff_are_not_offered_the_reviewers_bulk_actions(world, login):
    claim = world.claim()
    client = login(world.staff_user)
    page = client.get(CLAIMS).content.decode()
    assert 'value="assign_to_me"' not in page and 'value="request_evidence"' not in page
    assert 'value="export_csv"' in page
    client.post(CLAIMS, choose("assign_to_me", [claim], confirm="yes"))
    assert Claim.objects.get(pk=claim.pk).assignee is None


def test_export_asks_first_then_downloads_the_selected_claims(world, login):
    claim, other = world.claim(), world.claim()
    client = login(world.reviewer_user)
    page = client.post(CLAIMS, choose("export_csv", [claim]))
    assert page["Content-Type"].startswith("text/html")
    response = client.post(CLAIMS, choose("export_csv", [claim], confirm="yes"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and claim.claim_id in body and other.claim_id not in body
