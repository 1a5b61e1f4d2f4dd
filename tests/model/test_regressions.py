"""Every breach the claim-lives state machine found (tests/model/test_claim_lives.py), as a named
test of its own. Those of an issue-13 item still open on main are xfailed naming the item: the
lead removes the mark when the item's fix merges (and the item from invariants.OPEN)."""

import datetime as dt
import json

import pytest
from django.core.cache import cache

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.figures import service_figures
from claims.models import Claim
from integrations.models import WebhookDelivery
from kernel.errors import DomainError
from notices.models import Audience, Notice
from tests.api.conftest import make_api
from tests.factories import photo_upload

from .invariants import HIDDEN_FLAGS, MERCHANT_FLAGS

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.invalid/zhibao"


@pytest.fixture
def merchant_api(world):
    api = make_api("shop-a-erp", role="merchant", shop_id=world.shop.shop_id, webhook_url=HOOK)
    cache.clear()
    return api


def merchant_texts(world, api):
    """What the merchant of shop-a was told: its notices and the bodies of its webhooks."""
    notices = Notice.objects.filter(audience=Audience.MERCHANT, shop=world.shop)
    texts = [json.dumps(n.data) + n.message + n.text for n in notices]
    return texts + [json.dumps(d.payload) for d in WebhookDelivery.objects.filter(client=api.client)]


def test_r_rev_7_a_claim_past_its_review_sla_tells_the_merchant_nothing_of_it(world, merchant_api):
    """Found by the state machine: a submitted claim, the clock past 80 % and 100 % of its 24 h
    review SLA, the sweeper run: the merchant's notices and webhooks carry `sla_warning` and
    `sla_breached` (claim.flagged), and GET /claims/{id} lists both flags to the merchant client."""
    claim = world.claim()
    claims.process_deadlines(world.now + dt.timedelta(hours=25))
    flags = {f["code"] for f in merchant_api.get(f"claims/{claim.claim_id}").json()["flags"]}
    assert flags <= MERCHANT_FLAGS
    assert not [text for text in merchant_texts(world, merchant_api) if any(c in text for c in HIDDEN_FLAGS)]


def test_r_rev_7_a_reused_tracking_number_is_not_told_to_the_merchant(world, merchant_api):
    """Found by the state machine: two approved return claims, the same tracking number recorded
    on both (R-ABUSE-1): the second is flagged `tracking_reused`, and the merchant's claim.flagged
    notice and webhook say so."""
    first, second = world.in_state(S.AWAITING_RETURN), world.in_state(S.AWAITING_RETURN, buyer="buyer-2")
    for claim in (first, second):
        claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF1234567", now=world.now)
    assert "tracking_reused" in claims.flag_codes(second)
    assert not [text for text in merchant_texts(world, merchant_api) if "tracking_reused" in text]


def test_r_kpi_1_an_undecided_claim_past_its_sla_counts_against_compliance(world):
    """Found by the state machine: one claim, never decided, the clock a day past its review SLA:
    the insurer's SLA compliance is None (no decided claim) where it must be 0 %."""
    claim = world.claim()
    later = world.now + dt.timedelta(hours=48)
    claims.process_deadlines(later)
    [row] = service_figures(
        world.now - dt.timedelta(days=1), world.now + dt.timedelta(days=3), group="insurer", now=later
    )
    assert claim.review_due_at < later
    assert row["sla_compliance"] == 0


def test_r_kpi_1_evidence_asked_for_once_the_review_time_ran_out_still_counts_late(world):
    """Found by the racing machine (the model, not the code, was wrong): a claim whose 24 h ran out,
    then evidence asked for. Its clock stops with nothing left, so it counts against compliance
    beside a claim decided in time (1 of 2), as the breach sweep flags it."""
    in_time = world.in_state(S.REJECTED, buyer="buyer-2")
    claim = world.claim()
    later = claim.review_due_at
    claims.decide(claim, "request_evidence", world.reviewer, reason="补图", now=later)
    claim.refresh_from_db()
    assert claim.status == S.EVIDENCE_REQUESTED and claim.review_remaining == dt.timedelta(0)
    [row] = service_figures(
        world.now - dt.timedelta(days=1), world.now + dt.timedelta(days=3), group="insurer", now=later
    )
    assert in_time.decided_at <= in_time.review_due_at
    assert row["sla_compliance"] == 0.5


def test_r_ret_2_a_tracking_number_past_its_deadline_is_refused_before_the_sweep(world):
    """Found by the state machine: an approved return claim, the clock 20 h past its 168 h
    tracking deadline, the sweeper not yet run: the tracking number is accepted and the claim
    moves to return_in_transit."""
    claim = world.in_state(S.AWAITING_RETURN)
    late = claim.return_due_at + dt.timedelta(hours=20)
    with pytest.raises(DomainError):
        claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF77", now=late)


def test_r_rev_1_a_breach_is_escalated_once_when_the_claim_comes_back_from_evidence(world):
    """Found by the state machine: a claim breaches its review SLA (escalated), evidence is then
    asked for and sent; the resumed clock has no time left, and the next sweep escalated the
    breach a second time (two claim.sla_breached notices to the insurer)."""
    claim = world.claim()
    late = world.now + dt.timedelta(hours=163)
    claims.process_deadlines(late)
    claim = claims.decide(Claim.objects.get(pk=claim.pk), "request_evidence", world.reviewer, reason="补图", now=late)
    claims.add_evidence(claim, Side.BUYER, photo_upload(seed=7), world.platform, now=late)
    claims.process_deadlines(late + dt.timedelta(hours=1))
    told = Notice.objects.filter(claim=claim, event_type="claim.sla_breached", audience=Audience.INSURER)
    assert told.count() == 1
