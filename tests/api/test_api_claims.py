"""Refund requests, claims and every claim action through the API, for each role, in and out
of scope (api.md Refund requests and claims; domain.md §14)."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Claim, MerchantReport
from kernel.actors import Actor, Channel, Role
from tests.factories import image_upload, member

from .conftest import error_of

pytestmark = pytest.mark.django_db

ROLES = ("platform", "insurer", "merchant")
OUT_OF_SCOPE = {"insurer": "other_insurer", "merchant": "other_merchant"}

# action: (its role, the state it acts from, the body, the state it leads to)
ACTIONS = {
    "return-shipment": (
        "platform",
        S.AWAITING_RETURN,
        {"carrier": "SF", "tracking_number": "SF900"},
        S.RETURN_IN_TRANSIT,
    ),
    "delivered": ("platform", S.RETURN_IN_TRANSIT, {}, S.AWAITING_RECEIPT),
    "refund-completed": ("platform", S.REFUND_DUE, {}, S.REFUNDED),
    "appeal": ("platform", S.REJECTED, {"reason": "照片能看出漏水"}, S.UNDER_APPEAL),
    "decision": ("insurer", S.SUBMITTED, {"outcome": "approve", "problem_code": "no_power"}, S.AWAITING_RETURN),
    "receipt": ("merchant", S.AWAITING_RECEIPT, {"outcome": "confirm"}, S.REFUND_DUE),
    "remind-buyer": ("merchant", S.AWAITING_RETURN, {}, S.AWAITING_RETURN),
}
# A state each action is not allowed from.
WRONG_STATE = {
    "return-shipment": S.SUBMITTED,
    "delivered": S.AWAITING_RETURN,
    "refund-completed": S.AWAITING_RETURN,
    "appeal": S.SUBMITTED,
    "decision": S.AWAITING_RETURN,
    "receipt": S.AWAITING_RETURN,
    "remind-buyer": S.SUBMITTED,
}


def refund_body(world, sub_order, **overrides):
    return {
        "refund_id": world.next_id("rf"),
        "sub_order_id": sub_order.sub_order_id,
        "kind": "return_refund",
        "reason": "quality",
        "amount": "199.00",
        "description": "壶底漏水",
        "requested_at": world.now.isoformat(),
    } | overrides


def keys_and_values(value):
    """Every key and every scalar value of a JSON document, for 'never in it' checks."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_and_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_and_values(item)
    else:
        yield value


# -- refund requests and routing -----------------------------------------------------------


def test_r_route_1_a_routed_request_is_answered_201_with_its_claim(world, platform):
    sub_order = world.delivered_order()
    response = platform.post("refund-requests", refund_body(world, sub_order, refund_id="rf-1"))
    assert response.status_code == 201
    body = response.json()
    assert (body["refund_id"], body["business_type"], body["not_routed_because"]) == ("rf-1", "warranty", None)
    assert body["claim"]["status"] == "submitted"
    assert body["claim"]["refund_id"] == "rf-1"
    assert body["claim"]["policy_no"] == sub_order.policy.policy_no


@pytest.mark.parametrize(
    "case, rule",
    [
        ("no_policy", "R-POL-1"),
        ("reason", "R-ROUTE-2"),
        ("window", "R-WIN-1"),
        ("revoked", "R-ABUSE-2"),
    ],
)
def test_r_route_1_a_request_that_is_not_routed_names_the_first_failing_rule(world, platform, case, rule):
    sub_order = world.delivered_order(buyer=f"buyer-{case}")
    overrides = {}
    if case == "no_policy":
        sub_order = world.order(plan=None, buyer="buyer-no-plan")
    elif case == "reason":
        overrides = {"reason": "no_longer_needed"}
    elif case == "window":
        overrides = {"requested_at": (sub_order.receipt_confirmed_at + dt.timedelta(hours=720, seconds=1)).isoformat()}
    else:
        buyer = claims.report_buyer_level(sub_order.buyer_id, "normal")
        claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利")
    response = platform.post("refund-requests", refund_body(world, sub_order, **overrides))
    assert response.status_code == 201
    body = response.json()
    assert (body["business_type"], body["not_routed_because"], body["claim"]) == ("merchant", rule, None)


def test_r_win_1_exactly_720_hours_after_receipt_is_routed(world, platform):
    sub_order = world.delivered_order()
    at = (sub_order.receipt_confirmed_at + dt.timedelta(hours=720)).isoformat()
    body = platform.post("refund-requests", refund_body(world, sub_order, requested_at=at)).json()
    assert body["business_type"] == "warranty"


def test_r_pol_5_a_second_request_while_a_claim_is_open_is_409_claim_open(world, platform):
    sub_order = world.delivered_order()
    platform.post("refund-requests", refund_body(world, sub_order))
    response = platform.post("refund-requests", refund_body(world, sub_order))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "claim_open"
    assert "R-POL-5" in error["message"]


def test_a_refund_request_resent_identically_is_200_and_with_other_content_409(world, platform):
    sub_order = world.delivered_order()
    body = refund_body(world, sub_order, refund_id="rf-1")
    first = platform.post("refund-requests", body)
    again = platform.post("refund-requests", body)
    other = platform.post("refund-requests", body | {"amount": "10.00"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json() == first.json() | {"claim": again.json()["claim"]}
    assert again.json()["claim"]["claim_id"] == first.json()["claim"]["claim_id"]
    assert error_of(other)["code"] == "refund_id_conflict"
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("routed", [True, False], ids=["routed", "not-routed"])
def test_r_route_1_the_answer_to_a_new_request_is_the_request_as_stored(world, platform, routed):
    """A new request is answered from the rows just written (docs/performance.md): it must read
    exactly as the same request read back, flags (R-ABUSE-1) and history included."""
    for days in (20, 10):
        world.claim(buyer="buyer-ab", with_image=False, now=world.now - dt.timedelta(days=days))
    sub_order = world.delivered_order(buyer="buyer-ab")
    claims.report_buyer(world.merchant, policy=sub_order.policy, note="买家威胁差评", now=world.now)
    reason = "quality" if routed else "no_longer_needed"

    answer = platform.post("refund-requests", refund_body(world, sub_order, amount="150", reason=reason))

    assert answer.status_code == 201
    stored = platform.get(f"refund-requests/{answer.json()['refund_id']}").json()
    assert answer.json() == stored
    if routed:
        assert [flag["code"] for flag in stored["claim"]["flags"]] == ["abnormal_buyer", "merchant_reported"]
        assert [(step["from"], step["to"]) for step in stored["claim"]["history"]] == [("", "submitted")]
        assert stored["claim"]["requested_amount"] == "150.00"
    else:
        assert stored["claim"] is None


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "199.01"])
def test_an_amount_outside_0_and_the_paid_amount_is_a_422_citing_the_rule(world, platform, amount):
    response = platform.post("refund-requests", refund_body(world, world.delivered_order(), amount=amount))
    assert response.status_code == 422
    assert "R-POL-5" in error_of(response)["message"]


def test_a_request_for_an_unknown_sub_order_is_422(world, platform):
    response = platform.post("refund-requests", refund_body(world, world.delivered_order(), sub_order_id="nope"))
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_sub_order"


def test_refund_requests_are_listed_in_scope_and_filtered_by_business_type(world, platform, merchant, other_merchant):
    routed = world.refund(world.delivered_order())
    kept = world.refund(world.delivered_order(buyer="b2"), reason="wrong_size")
    elsewhere = world.refund(world.delivered_order(world.other_shop, buyer="b3"))

    def ids(api, **params):
        response = api.get("refund-requests", params)
        assert response.status_code == 200
        return [item["refund_id"] for item in response.json()["results"]]

    assert ids(platform) == [elsewhere.refund_id, kept.refund_id, routed.refund_id]
    assert ids(merchant) == [kept.refund_id, routed.refund_id]
    assert ids(merchant, business_type="merchant") == [kept.refund_id]
    assert ids(merchant, sub_order_id=routed.sub_order.sub_order_id) == [routed.refund_id]
    assert ids(other_merchant) == [elsewhere.refund_id]
    assert merchant.get(f"refund-requests/{elsewhere.refund_id}").status_code == 404
    assert merchant.get(f"refund-requests/{routed.refund_id}").json()["claim"]["claim_id"] == routed.claim.claim_id
    assert platform.get("refund-requests", {"business_type": "other"}).status_code == 400


# -- the claim representation --------------------------------------------------------------

CLAIM_FIELDS = {
    "claim_id",
    "refund_id",
    "sub_order_id",
    "policy_no",
    "shop_id",
    "kind",
    "reason",
    "status",
    "requested_amount",
    "approved_amount",
    "payout_amount",
    "shipping_allowance",
    "review_due_at",
    "decision",
    "return_address",
    "flags",
    "deadlines",
    "evidence",
    "history",
}


def test_a_claim_shows_every_field_of_the_contract_and_no_staff_identity_or_threshold(world, insurer):
    reviewer_user = member("wang-reviewer-7", Role.REVIEWER, insurer=world.insurer)
    reviewer = Actor.for_user(reviewer_user, Channel.ADMIN)
    claim = world.claim(kind="return_refund", buyer="b-x")
    claims.assign(claim, reviewer_user, reviewer)
    claims.decide(claim, "approve", reviewer, problem_code="performance_fault")
    body = insurer.get(f"claims/{claim.claim_id}").json()
    assert CLAIM_FIELDS <= set(body)
    assert body["status"] == "awaiting_return"
    assert (body["requested_amount"], body["approved_amount"]) == ("199.00", "199.00")
    assert body["decision"] | {"decided_at": None} == {
        "outcome": "approve",
        "problem_code": "performance_fault",
        "problem_label": "Performance fault",  # R-PLAN-1: from the plan's row
        "approved_amount": "199.00",
        "reason": "",
        "decided_at": None,
        "automatic": False,
        "on_appeal": False,
    }
    assert body["return_address"]["address"] == world.shop.return_address
    assert list(body["deadlines"]) == ["return_due_at"]
    assert [(h["from"], h["to"], h["by_role"]) for h in body["history"]] == [
        ("", "submitted", "platform"),
        ("submitted", "awaiting_return", "reviewer"),
    ]
    assert body["evidence"][0]["side"] == "buyer"
    assert body["evidence"][0]["file_url"].endswith(
        f"/claims/{claim.claim_id}/evidence/{body['evidence'][0]['id']}/file"
    )
    found = set(map(str, keys_and_values(body)))
    forbidden = {"assignee", "user", "user_id", "reviewer_user", "audit_outcome", "audit_requested", "label"}
    forbidden |= {reviewer_user.username, "abuse_claim_count", "fast_lane_limit"}
    forbidden |= {"sla_warn_at", "sla_breach_at", "fast_lane_audit_share", "level", "buyer_level"}
    assert not found & forbidden
    assert "reviewer" in found  # the role is shown, never who


def test_the_return_address_is_shown_only_once_approved_and_only_for_return_refund(world, platform):
    submitted = world.claim(kind="return_refund", buyer="b1")
    refund_only = world.approved(kind="refund_only", buyer="b2")
    approved = world.approved(kind="return_refund", buyer="b3")
    addresses = [
        platform.get(f"claims/{c.claim_id}").json()["return_address"] for c in (submitted, refund_only, approved)
    ]
    assert addresses[:2] == [None, None]
    assert addresses[2] == {
        "address": world.shop.return_address,
        "contact": world.shop.return_contact,
        "phone": world.shop.return_phone,
    }


def test_the_appeal_window_is_an_open_deadline_of_a_rejected_claim(world, platform):
    claim = world.in_state(S.REJECTED)
    deadlines = platform.get(f"claims/{claim.claim_id}").json()["deadlines"]
    assert dt.datetime.fromisoformat(deadlines["appeal_until"]) == claim.decided_at + dt.timedelta(days=15)


@pytest.mark.parametrize("role, sees", [("platform", True), ("insurer", True), ("merchant", True)])
def test_a_claim_in_scope_is_shown_to_every_role(world, request, role, sees):
    claim = world.claim()
    assert request.getfixturevalue(role).get(f"claims/{claim.claim_id}").status_code == 200


@pytest.mark.parametrize("outsider", ["other_insurer", "other_merchant"])
def test_a_claim_outside_the_clients_scope_is_404_exactly_like_a_missing_one(world, request, outsider):
    api = request.getfixturevalue(outsider)
    claim = world.claim()
    outside = api.get(f"claims/{claim.claim_id}")
    missing = api.get("claims/CL0000000000000000")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert api.get("claims").json() == {"results": [], "next": None}


# -- lists: filters, cursor, query counts --------------------------------------------------


def test_claims_are_listed_newest_first_with_filters(world, merchant):
    first = world.claim(buyer="b1")
    second = world.approved(buyer="b2")
    world.claim(shop=world.other_shop, buyer="b3")

    def ids(**params):
        response = merchant.get("claims", params)
        assert response.status_code == 200, response.json()
        return [c["claim_id"] for c in response.json()["results"]]

    assert ids() == [second.claim_id, first.claim_id]
    assert ids(status="submitted") == [first.claim_id]
    assert ids(status="submitted,awaiting_return") == [second.claim_id, first.claim_id]
    assert ids(sub_order_id=first.sub_order.sub_order_id) == [first.claim_id]
    assert ids(updated_since=(world.now + dt.timedelta(days=1)).isoformat()) == []
    assert ids(updated_since=(world.now - dt.timedelta(days=1)).isoformat()) == [second.claim_id, first.claim_id]
    assert merchant.get("claims", {"status": "flying"}).status_code == 400
    assert merchant.get("claims", {"updated_since": "yesterday"}).status_code == 400


def test_updated_since_finds_claims_flagged_or_given_evidence_since(world, platform):
    quiet, flagged, photographed = (world.claim(buyer=f"b{i}") for i in range(3))
    since = world.now + dt.timedelta(hours=1)
    claims.raise_flag(flagged, "merchant_reported", at=since + dt.timedelta(minutes=1))
    claims.add_evidence(photographed, "buyer", image_upload(pattern=5), world.platform, now=since)
    found = [c["claim_id"] for c in platform.get("claims", {"updated_since": since.isoformat()}).json()["results"]]
    assert found == [photographed.claim_id, flagged.claim_id]
    assert quiet.claim_id not in found


def test_the_cursor_walks_every_claim_once(world, platform):
    made = [world.claim(buyer=f"b{i}").claim_id for i in range(5)]
    seen, url, pages = [], "claims?limit=2", 0
    while url:
        body = platform.get(url).json()
        seen += [c["claim_id"] for c in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == made[::-1]
    assert pages == 3


def test_a_limit_above_500_is_capped_and_a_bad_cursor_is_a_400(world, platform):
    world.claim()
    assert len(platform.get("claims", {"limit": 5000}).json()["results"]) == 1
    response = platform.get("claims", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in error_of(response)["fields"]


def list_queries(api, path):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("path", ["claims", "refund-requests", "policies"])
def test_list_pages_take_the_same_number_of_queries_for_few_and_many_rows(world, platform, path):
    def busy_claim(i):
        claim = world.approved(buyer=f"b-{path}-{i}")
        claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number=f"SF{i}", now=world.now)
        claims.raise_flag(claim, "merchant_reported", at=world.now)
        return claim

    busy_claim(0)
    few = list_queries(platform, path)
    for i in range(1, 6):
        busy_claim(i)
    many = list_queries(platform, path)
    assert few[1] < many[1]
    assert few[0] == many[0]


# -- every action × role × scope -----------------------------------------------------------


def act(api, claim, action, body=None):
    return api.post(f"claims/{claim.claim_id}/{action}", ACTIONS[action][2] if body is None else body)


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_by_its_role_in_scope_moves_the_claim(world, request, action, django_capture_on_commit_callbacks):
    role, state, body, after = ACTIONS[action]
    claim = world.in_state(state)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(request.getfixturevalue(role), claim, action)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == after
    # The payout task runs once the refund has committed (R-PAY-1).
    assert Claim.objects.get(pk=claim.pk).status == (S.PAID if after == S.REFUNDED else after)


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_by_another_role_is_403_wherever_the_claim_lies(world, request, action):
    role, state, body, _after = ACTIONS[action]
    claim = world.in_state(state)
    for other in set(ROLES) - {role}:
        for api_name in (other, OUT_OF_SCOPE.get(other, other)):
            response = act(request.getfixturevalue(api_name), claim, action)
            assert response.status_code == 403, (api_name, response.json())
            assert error_of(response)["code"] == "permission_denied"
    assert Claim.objects.get(pk=claim.pk).status == state


@pytest.mark.parametrize("action", [a for a, spec in ACTIONS.items() if spec[0] in OUT_OF_SCOPE])
def test_each_action_on_a_claim_outside_the_clients_scope_is_404(world, request, action):
    role, state, _body, _after = ACTIONS[action]
    claim = world.in_state(state)
    response = act(request.getfixturevalue(OUT_OF_SCOPE[role]), claim, action)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert Claim.objects.get(pk=claim.pk).status == state


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_on_an_unknown_claim_is_404_and_without_a_token_401(world, request, action):
    role = ACTIONS[action][0]
    api = request.getfixturevalue(role)
    response = api.post(f"claims/CL404/{action}", ACTIONS[action][2])
    assert response.status_code == 404
    api.http.credentials()
    response = api.post(f"claims/CL404/{action}", ACTIONS[action][2])
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_from_a_state_that_does_not_allow_it_is_409_transition_not_allowed(world, request, action):
    role, _state, body, _after = ACTIONS[action]
    claim = world.in_state(WRONG_STATE[action])
    response = act(request.getfixturevalue(role), claim, action)
    assert response.status_code == 409, response.json()
    assert error_of(response)["code"] == "transition_not_allowed"
    assert Claim.objects.get(pk=claim.pk).status == WRONG_STATE[action]


# -- refusals along the way, each named by its rule ----------------------------------------


def test_r_rev_2_approval_without_a_buyer_image_is_422_evidence_missing(world, insurer):
    claim = world.claim(with_image=False)
    response = act(insurer, claim, "decision")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "evidence_missing"
    assert "R-REV-2" in error["message"]


def test_r_rev_3_a_partial_approval_needs_an_amount_below_the_request(world, insurer):
    claim = world.claim()
    body = {"outcome": "partially_approve", "problem_code": "no_power", "approved_amount": "199.00", "reason": "部分"}
    response = act(insurer, claim, "decision", body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_amount"
    body["approved_amount"] = "120.00"
    assert act(insurer, claim, "decision", body).json()["approved_amount"] == "120.00"


def test_r_rev_3_a_problem_code_outside_the_reasons_taxonomy_is_422(world, insurer):
    response = act(insurer, world.claim(), "decision", {"outcome": "approve", "problem_code": "stained"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_problem_code"


def test_r_rev_2_request_evidence_then_the_buyers_upload_resubmits(world, insurer, platform):
    claim = world.claim(with_image=False)
    response = act(insurer, claim, "decision", {"outcome": "request_evidence", "reason": "请补充壶底照片"})
    assert response.json()["status"] == "evidence_requested"
    assert response.json()["review_due_at"] is None
    assert list(response.json()["deadlines"]) == ["evidence_due_at"]
    upload = platform.upload(f"claims/{claim.claim_id}/evidence", image_upload(pattern=2), note="壶底")
    assert upload.status_code == 201
    assert platform.get(f"claims/{claim.claim_id}").json()["status"] == "submitted"


def test_r_assign_1_an_insurer_client_cannot_decide_a_claim_a_reviewer_holds(world, insurer):
    claim = world.claim()
    claims.assign(claim, world.reviewer_user, world.reviewer)
    response = act(insurer, claim, "decision")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "claim_held"
    assert "R-ASSIGN-1" in error["message"]
    claim.refresh_from_db()
    assert (claim.status, claim.decisions.count()) == (S.SUBMITTED, 0)
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
    assert act(insurer, claim, "decision").status_code == 409  # decided by the holder: nothing left to decide


def test_r_ret_3_rejecting_a_parcel_needs_merchant_evidence_and_a_note(world, merchant):
    claim = world.in_state(S.AWAITING_RECEIPT)
    reject = {"outcome": "reject", "reason_code": "empty_parcel", "note": "空的"}
    response = act(merchant, claim, "receipt", reject)
    assert response.status_code == 422
    assert (error_of(response)["code"], "R-RET-3" in error_of(response)["message"]) == ("evidence_missing", True)
    assert merchant.upload(f"claims/{claim.claim_id}/evidence", image_upload(pattern=4)).status_code == 201
    response = act(merchant, claim, "receipt", reject | {"note": ""})
    assert (response.status_code, error_of(response)["code"]) == (422, "note_required")
    response = act(merchant, claim, "receipt", reject | {"reason_code": "changed_my_mind"})
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_reason_code")
    response = act(merchant, claim, "receipt", reject)
    assert response.status_code == 200
    assert response.json()["status"] == "receipt_disputed"
    assert response.json()["receipt_dispute"]["reason_code"] == "empty_parcel"


def test_r_ret_2_the_merchant_reminds_the_buyer_at_most_hourly(world, merchant):
    claim = world.in_state(S.AWAITING_RETURN)
    assert act(merchant, claim, "remind-buyer").status_code == 200
    response = act(merchant, claim, "remind-buyer")
    assert (response.status_code, error_of(response)["code"]) == (422, "reminded_recently")


def test_r_dis_1_a_second_appeal_is_appeal_used_and_a_late_one_appeal_window_closed(world, platform):
    claim = world.in_state(S.REJECTED)
    assert act(platform, claim, "appeal").status_code == 200
    claims.resolve_appeal(claim, world.staff, outcome="uphold", note="维持")
    response = act(platform, claim, "appeal")
    assert response.status_code == 422
    assert (error_of(response)["code"], "R-DIS-1" in error_of(response)["message"]) == ("appeal_used", True)

    late = world.in_state(S.REJECTED, buyer="b-late")
    Claim.objects.filter(pk=late.pk).update(decided_at=world.now - dt.timedelta(days=16))
    response = act(platform, late, "appeal")
    assert (response.status_code, error_of(response)["code"]) == (422, "appeal_window_closed")


def test_r_dis_1_an_appeal_needs_a_reason(world, platform):
    response = act(platform, world.in_state(S.REJECTED), "appeal", {"reason": " "})
    assert (response.status_code, error_of(response)["code"]) == (422, "reason_required")


def test_r_ret_2_a_return_needs_its_tracking_number(world, platform):
    response = act(platform, world.in_state(S.AWAITING_RETURN), "return-shipment", {"tracking_number": ""})
    assert (response.status_code, error_of(response)["code"]) == (422, "tracking_number_required")


# -- buyer reports (R-ABUSE-1) -------------------------------------------------------------


def test_r_abuse_1_a_merchant_reports_a_buyer_from_a_claim_or_a_policy(world, merchant):
    claim = world.claim()
    response = merchant.post("buyer-reports", {"claim_id": claim.claim_id, "note": "同一买家多次索赔"})
    assert response.status_code == 201
    assert response.json()["claim_id"] == claim.claim_id
    assert "merchant_reported" in [f["code"] for f in merchant.get(f"claims/{claim.claim_id}").json()["flags"]]
    policy = world.delivered_order(buyer="b-2").policy
    response = merchant.post("buyer-reports", {"policy_no": policy.policy_no, "note": "可疑"})
    assert (response.status_code, response.json()["policy_no"], response.json()["claim_id"]) == (
        201,
        policy.policy_no,
        None,
    )
    assert MerchantReport.objects.count() == 2


def test_r_abuse_1_a_report_names_exactly_one_claim_or_policy_in_the_shop(world, merchant, other_merchant, platform):
    claim = world.claim()
    both = merchant.post(
        "buyer-reports", {"claim_id": claim.claim_id, "policy_no": claim.policy.policy_no, "note": "x"}
    )
    neither = merchant.post("buyer-reports", {"note": "x"})
    assert (both.status_code, neither.status_code) == (422, 422)
    assert error_of(both)["code"] == "claim_or_policy"
    assert other_merchant.post("buyer-reports", {"claim_id": claim.claim_id, "note": "x"}).status_code == 404
    assert other_merchant.post("buyer-reports", {"policy_no": claim.policy.policy_no, "note": "x"}).status_code == 404
    assert platform.post("buyer-reports", {"claim_id": claim.claim_id, "note": "x"}).status_code == 403
    assert merchant.post("buyer-reports", {"claim_id": claim.claim_id, "note": ""}).status_code == 422
    assert not MerchantReport.objects.exists()


# -- the whole journey ---------------------------------------------------------------------


def test_the_whole_journey_through_the_api_pays_the_merchant_once(
    world, platform, insurer, merchant, django_capture_on_commit_callbacks
):
    placed, shipped, received = (world.now - dt.timedelta(days=d) for d in (10, 9, 5))
    order = {
        "sub_order_id": "SO-J",
        "order_id": "O-J",
        "shop_id": world.shop.shop_id,
        "buyer_id": "buyer-j",
        "product_id": "kettle-1",
        "warranty_plan": "appliance_30d",
        "paid_amount": "199.00",
        "placed_at": placed.isoformat(),
    }
    assert platform.post("orders", order).status_code == 201
    events = [
        {"sub_order_id": "SO-J", "type": "shipped", "at": shipped.isoformat()},
        {"sub_order_id": "SO-J", "type": "receipt_confirmed", "at": received.isoformat()},
    ]
    assert platform.post("order-events", {"events": events}).status_code == 200
    [policy] = platform.get("policies", {"sub_order_id": "SO-J"}).json()["results"]
    assert (policy["status"], policy["premium"]) == ("in_cover", "2.99")

    request = refund_body(world, world.order(), sub_order_id="SO-J", refund_id="RF-J")
    claim_id = platform.post("refund-requests", request).json()["claim"]["claim_id"]
    path = f"claims/{claim_id}"

    def step(api, action, body=None, expect=200):
        response = api.post(f"{path}/{action}", body or {})
        assert response.status_code == expect, (action, response.json())
        return response.json()

    # Refusals along the way change nothing.
    assert step(insurer, "decision", {"outcome": "approve", "problem_code": "no_power"}, 422)["error"]["code"] == (
        "evidence_missing"
    )
    assert step(platform, "return-shipment", {"tracking_number": "SF1"}, 409)["error"]["code"] == (
        "transition_not_allowed"
    )
    assert merchant.upload(f"{path}/evidence", image_upload(pattern=3)).status_code == 409
    assert platform.upload(f"{path}/evidence", image_upload(pattern=1), note="壶底").status_code == 201

    claim = step(insurer, "decision", {"outcome": "approve", "problem_code": "no_power"})
    assert (claim["status"], claim["return_address"]["address"]) == ("awaiting_return", world.shop.return_address)
    step(platform, "delivered", expect=409)
    assert step(merchant, "remind-buyer")["status"] == "awaiting_return"
    assert step(platform, "return-shipment", {"carrier": "SF", "tracking_number": "SF1"})["status"] == (
        "return_in_transit"
    )
    assert step(platform, "delivered")["status"] == "awaiting_receipt"
    assert merchant.upload(f"{path}/evidence", image_upload(pattern=6), note="外箱完好").status_code == 201
    step(platform, "refund-completed", expect=409)
    assert step(merchant, "receipt", {"outcome": "confirm"})["status"] == "refund_due"
    with django_capture_on_commit_callbacks(execute=True):
        claim = step(platform, "refund-completed")
    claim = platform.get(path).json()
    assert claim["status"] == "paid"
    assert (claim["payout_amount"], claim["shipping_allowance"]) == ("199.00", "10.00")
    assert [h["to"] for h in claim["history"]] == [
        "submitted",
        "awaiting_return",
        "return_in_transit",
        "awaiting_receipt",
        "refund_due",
        "refunded",
        "paid",
    ]
    assert [e["side"] for e in claim["evidence"]] == ["buyer", "merchant"]
    assert step(platform, "appeal", {"reason": "x"}, 409)["error"]["code"] == "transition_not_allowed"
    assert step(platform, "refund-completed", expect=409)["error"]["code"] == "transition_not_allowed"
    [policy] = platform.get("policies", {"sub_order_id": "SO-J"}).json()["results"]
    assert (policy["claim_paid"], policy["claims"]) == (True, [claim_id])
    assert json.loads(json.dumps(claim)) == claim


def test_a_routed_refund_request_takes_the_same_statements_whatever_the_tables_hold(world, platform):
    """The hot path of a peak (docs/performance.md): a routed request reads and writes a fixed set
    of rows, and looks for a merchant's report (R-ABUSE-1) only for a buyer ever reported."""
    for index in range(3):
        world.claim(buyer=f"buyer-busy-{index}", with_image=False)

    def statements(sub_order):
        with CaptureQueriesContext(connection) as queries:
            response = platform.post("refund-requests", refund_body(world, sub_order))
        flags = [flag["code"] for flag in response.json()["claim"]["flags"]]
        return len(queries), flags

    first, flags = statements(world.delivered_order(buyer="buyer-quiet-1"))
    assert (first, flags) == (statements(world.delivered_order(buyer="buyer-quiet-2"))[0], [])
    reported = world.delivered_order(buyer="buyer-reported")
    claims.report_buyer(world.merchant, policy=reported.policy, note="买家威胁差评", now=world.now)
    count, flags = statements(reported)
    assert count > first
    assert flags == ["merchant_reported"]
