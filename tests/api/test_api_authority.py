"""R-AUTH-1 through the API: a decision above the client's limit answers `pending_approval` and
takes effect only when a second person (a staff member or another client) confirms it."""

from decimal import Decimal

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import AuthorityLimit
from kernel.actors import Role

from .conftest import error_of, make_api

APPROVE = {"outcome": "approve", "problem_code": "no_power"}


def lower(world, role, up_to="100.00"):
    AuthorityLimit.objects.filter(insurer=world.insurer, role=role).update(approve_alone_up_to=Decimal(up_to))


def decide(api, claim, body=APPROVE):
    return api.post(f"claims/{claim.claim_id}/decision", body)


def test_r_auth_1_above_the_clients_limit_the_answer_says_pending_approval(world, insurer):
    lower(world, Role.INSURER)
    claim = world.claim(paid="199.00")

    body = decide(insurer, claim).json()

    assert body["status"] == S.SUBMITTED and body["decision"] is None and body["approved_amount"] is None
    assert body["pending_approval"] | {"proposed_at": None} == {
        "kind": "decision",
        "outcome": "approve",
        "problem_code": "no_power",
        "approved_amount": "199.00",
        "reason": "",
        "proposed_at": None,
        "by_role": "insurer",
    }


def test_r_auth_1_within_the_limit_pending_approval_is_null(world, insurer):
    body = decide(insurer, world.claim(paid="199.00")).json()
    assert body["status"] == S.AWAITING_RETURN and body["pending_approval"] is None


def test_r_auth_1_the_merchant_never_sees_what_waits(world, insurer, merchant):
    lower(world, Role.INSURER)
    claim = world.claim(paid="199.00")
    decide(insurer, claim)

    body = merchant.get(f"claims/{claim.claim_id}").json()

    assert body["pending_approval"] is None and body["status"] == S.SUBMITTED


def test_r_auth_1_the_same_client_may_not_confirm_its_own_decision(world, insurer):
    lower(world, Role.INSURER)
    claim = world.claim(paid="199.00")
    decide(insurer, claim)

    response = insurer.post(f"claims/{claim.claim_id}/decision/confirm")

    assert response.status_code == 409 and error_of(response)["code"] == "same_person"


def test_r_auth_1_a_second_client_confirms_a_reviewers_decision(world, insurer):
    lower(world, Role.REVIEWER)
    claim = world.claim(paid="199.00")
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)

    body = insurer.post(f"claims/{claim.claim_id}/decision/confirm").json()

    assert body["status"] == S.AWAITING_RETURN and body["pending_approval"] is None
    assert body["decision"]["approved_amount"] == "199.00"


def test_r_auth_1_a_client_sends_back_with_a_reason(world, insurer):
    lower(world, Role.REVIEWER)
    claim = world.claim(paid="199.00")
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)

    refused = insurer.post(f"claims/{claim.claim_id}/decision/send-back", {"reason": ""})
    body = insurer.post(f"claims/{claim.claim_id}/decision/send-back", {"reason": "金额过高"}).json()

    assert refused.status_code == 422 and error_of(refused)["code"] == "reason_required"
    assert body["status"] == S.SUBMITTED and body["pending_approval"] is None


def test_r_auth_1_confirming_when_nothing_waits_is_a_conflict(world, insurer):
    response = insurer.post(f"claims/{world.claim().claim_id}/decision/confirm")
    assert response.status_code == 409 and error_of(response)["code"] == "no_pending_approval"


def test_r_auth_1_another_insurers_client_cannot_confirm(world, insurer, other_insurer):
    lower(world, Role.REVIEWER)
    claim = world.claim(paid="199.00")
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)

    assert other_insurer.post(f"claims/{claim.claim_id}/decision/confirm").status_code == 404


def test_r_auth_1_the_platform_and_merchants_may_not_confirm(world, platform, merchant):
    claim = world.claim()
    assert platform.post(f"claims/{claim.claim_id}/decision/confirm").status_code == 403
    assert merchant.post(f"claims/{claim.claim_id}/decision/send-back", {"reason": "x"}).status_code == 403


def test_r_auth_1_a_second_client_of_the_insurer_is_another_person(world, insurer):
    lower(world, Role.INSURER)
    claim = world.claim(paid="199.00")
    decide(insurer, claim)
    second = make_api("demo-insurer-desk", role="insurer", insurer_code=world.insurer.code)
    lower(world, Role.INSURER, "10000.00")

    assert second.post(f"claims/{claim.claim_id}/decision/confirm").json()["status"] == S.AWAITING_RETURN
