"""Every endpoint × every kind of client: the role decides what it may do (else 403), its insurer
or shop what it may see (else 404, exactly like a missing object), no token 401 (api.md)."""

import pytest
from django.test import Client

from claims.choices import ClaimStatus as S

from .conftest import BASE

pytestmark = pytest.mark.django_db

CLIENTS = ("platform", "insurer", "other_insurer", "merchant", "other_merchant")
# Who sees an object of shop-a insured by demo-insurer.
SEES = {"platform", "insurer", "merchant"}
# Who may call each POST that is not an action on a claim.
POSTS = {
    "orders": {"platform"},
    "order-events": {"platform"},
    "refund-requests": {"platform"},
    "buyer-reports": {"merchant", "other_merchant"},
}


@pytest.fixture
def objects(world):
    claim = world.in_state(S.AWAITING_RETURN)
    return {
        "claim": claim,
        "evidence": claim.evidence.get(),
        "policy": claim.policy,
        "refund": claim.refund_request,
    }


def detail_paths(objects):
    claim = objects["claim"]
    return [
        f"claims/{claim.claim_id}",
        f"claims/{claim.claim_id}/evidence/{objects['evidence'].pk}/file",
        f"policies/{objects['policy'].policy_no}",
        f"refund-requests/{objects['refund'].refund_id}",
    ]


@pytest.mark.parametrize("who", CLIENTS)
def test_each_detail_is_shown_in_scope_and_is_404_outside_it(world, request, objects, who):
    api = request.getfixturevalue(who)
    for path in detail_paths(objects):
        response = api.get(path)
        assert response.status_code == (200 if who in SEES else 404), (who, path)


@pytest.mark.parametrize("who", CLIENTS)
def test_each_list_shows_only_what_is_in_scope(world, request, objects, who):
    api = request.getfixturevalue(who)
    claim = objects["claim"]
    lists = {
        "claims": ("claim_id", claim.claim_id),
        "policies": ("policy_no", objects["policy"].policy_no),
        "refund-requests": ("refund_id", objects["refund"].refund_id),
    }
    for path, (key, value) in lists.items():
        response = api.get(path)
        assert response.status_code == 200, (who, path)
        shown = [item[key] for item in response.json()["results"]]
        assert shown == ([value] if who in SEES else []), (who, path)


@pytest.mark.parametrize("who", CLIENTS)
def test_each_post_is_for_its_roles_only(world, request, objects, who):
    api = request.getfixturevalue(who)
    for path, roles in POSTS.items():
        response = api.post(path, {})
        if who in roles:
            assert response.status_code == 400, (who, path)  # allowed: the empty body is malformed
        else:
            assert response.status_code == 403, (who, path)


def test_nothing_answers_without_a_token(world, objects):
    anonymous = Client()
    claim = objects["claim"]
    for path in detail_paths(objects) + ["claims", "policies", "refund-requests"]:
        assert anonymous.get(BASE + path).status_code == 401, path
    for path in [*POSTS, f"claims/{claim.claim_id}/decision", f"claims/{claim.claim_id}/evidence"]:
        assert anonymous.post(BASE + path, {}, content_type="application/json").status_code == 401, path
