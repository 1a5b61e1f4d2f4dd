"""R-AUTH-1 under concurrency, on PostgreSQL: many insurer clients at once confirm one pending
decision, or propose decisions above their limit on one claim. One confirmation takes effect,
one decision waits; every other call is refused, and the claim is decided once."""

from collections import Counter
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import AuthorityLimit, Decision, PendingDecision
from integrations.services import issue_client
from kernel.actors import Role
from tests.world import World

from .postgres import postgresql_only
from .test_races import race

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

ACTORS = 12


def outcome(response):
    if isinstance(response, Exception):
        return f"raised {response!r}"
    return f"{response.status_code} {response.json()['error']['code'] if response.status_code >= 400 else 'ok'}"


def clients(world, n):
    return [issue_client(f"desk-{i}", role="insurer", insurer_code=world.insurer.code)[1] for i in range(n)]


def posting(keys, path, body=None):
    def attempt(i):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Token {keys[i]}")
        return lambda: http.post(path, body or {}, format="json")

    return attempt


def test_r_auth_1_many_confirm_one_pending_decision_at_once_and_it_takes_effect_once():
    world = World()
    AuthorityLimit.objects.filter(insurer=world.insurer, role=Role.REVIEWER).update(
        approve_alone_up_to=Decimal("100.00")
    )
    claim = world.claim(paid="199.00")
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
    keys = clients(world, ACTORS)

    results = race(posting(keys, f"/api/v1/claims/{claim.claim_id}/decision/confirm"), ACTORS)

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["200 ok"] == 1, outcomes
    assert set(outcomes) <= {"200 ok", "409 no_pending_approval", "409 approval_resolved"}, outcomes
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RETURN and Decision.objects.filter(claim=claim).count() == 1


def test_r_auth_1_many_decisions_above_the_limit_at_once_and_one_waits():
    world = World()
    AuthorityLimit.objects.filter(insurer=world.insurer, role=Role.INSURER).update(
        approve_alone_up_to=Decimal("100.00")
    )
    claim = world.claim(paid="199.00")
    keys = clients(world, ACTORS)

    body = {"outcome": "approve", "problem_code": "no_power"}
    results = race(posting(keys, f"/api/v1/claims/{claim.claim_id}/decision", body), ACTORS)

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["200 ok"] == 1 and set(outcomes) <= {"200 ok", "409 pending_approval"}, outcomes
    assert PendingDecision.objects.filter(claim=claim, status="pending").count() == 1
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and not Decision.objects.filter(claim=claim).exists()
