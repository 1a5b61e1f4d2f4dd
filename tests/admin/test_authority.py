"""R-AUTH-1 in the admin: supervisors set the limits; a decision above the reviewer's limit waits
in "awaiting second approval" until another person confirms it or sends it back."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import AuthorityLimit, PendingDecision
from kernel.actors import Role

from .helpers import act_url, claim_url, result_rows, seen_of

QUEUE = reverse("admin:claims_pendingdecision_changelist")
LIMITS = reverse("admin:claims_authoritylimit_changelist")


def lower_reviewer_limit(world, up_to="100.00"):
    AuthorityLimit.objects.filter(insurer=world.insurer, role=Role.REVIEWER).update(approve_alone_up_to=Decimal(up_to))


def approve_on_the_page(client, claim):
    page = client.get(claim_url(claim))
    data = {"seen": seen_of(page, "approve"), "problem_code": "performance_fault"}
    return client.post(act_url(claim, "approve"), data, follow=True)


def pending_of(world, paid="199.00"):
    lower_reviewer_limit(world)
    claim = world.claim(paid=paid)
    claims.decide(claim, "approve", world.reviewer, problem_code="performance_fault", now=world.now)
    return claims.waiting(claim)


def test_r_auth_1_a_supervisor_edits_their_insurers_limits_only(world, login):
    client = login(world.supervisor_user)
    world.authority_limits(world.other_insurer)
    row = AuthorityLimit.objects.get(insurer=world.insurer, role=Role.REVIEWER)

    listing = client.get(LIMITS)
    assert len(result_rows(listing)) == 4  # their insurer's four roles, not the other insurer's
    url = reverse("admin:claims_authoritylimit_change", args=[row.pk])
    client.post(
        url,
        {
            "insurer": world.insurer.pk,
            "role": Role.REVIEWER,
            "approve_alone_up_to": "500.00",
            "appeal_change_needs_second": "on",
        },
    )

    row.refresh_from_db()
    assert row.approve_alone_up_to == Decimal("500.00") and row.appeal_change_needs_second
    other = AuthorityLimit.objects.get(insurer=world.other_insurer, role=Role.REVIEWER)
    assert client.get(reverse("admin:claims_authoritylimit_change", args=[other.pk])).status_code == 302


def test_r_auth_1_a_reviewer_sees_the_limits_but_cannot_change_them(world, login):
    client = login(world.reviewer_user)
    row = AuthorityLimit.objects.get(insurer=world.insurer, role=Role.REVIEWER)
    assert client.get(LIMITS).status_code == 200
    client.post(reverse("admin:claims_authoritylimit_change", args=[row.pk]), {"approve_alone_up_to": "99999"})
    row.refresh_from_db()
    assert row.approve_alone_up_to == Decimal("10000.00")


def test_r_auth_1_above_the_limit_the_review_page_says_the_decision_awaits_a_second_approval(world, login):
    lower_reviewer_limit(world)
    claim = world.claim(paid="199.00")

    page = approve_on_the_page(login(world.reviewer_user), claim).content.decode()

    assert "awaits a second approval" in page
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    review = login(world.reviewer_user).get(claim_url(claim)).content.decode()
    assert 'id="pending-approval"' in review and "¥199.00" in review.split('id="pending-approval"')[1]
    assert 'data-step="pending"' in review


def test_r_auth_1_the_supervisor_confirms_from_the_queue(world, login):
    pending = pending_of(world)
    client = login(world.supervisor_user)

    rows = result_rows(client.get(QUEUE))
    assert len(rows) == 1 and pending.claim.claim_id in rows[0]
    form = client.get(act_url(pending, "confirm"))
    seen = form.content.decode().split('name="seen" value="')[1].split('"')[0]
    done = client.post(act_url(pending, "confirm"), {"seen": seen}, follow=True).content.decode()

    assert "has taken effect" in done
    pending.claim.refresh_from_db()
    assert pending.claim.status == S.AWAITING_RETURN
    assert result_rows(client.get(QUEUE)) == []  # confirmed: out of the queue
    history = client.get(claim_url(pending.claim)).content.decode()
    assert 'data-step="confirmed"' in history


def test_r_auth_1_the_supervisors_home_page_counts_what_awaits_a_second_approval(world, login):
    pending_of(world)
    index = login(world.supervisor_user).get(reverse("admin:index")).content.decode()
    card = index.split('data-card="second_approval"')[1].split("</a>")[0]
    assert "Awaiting second approval" in card and ">1<" in card.replace(" ", "")


def test_r_auth_1_the_proposer_is_refused_with_the_reason(world, login):
    pending = pending_of(world)
    client = login(world.reviewer_user)

    answer = client.post(act_url(pending, "confirm"), {"seen": "pending:0"})

    assert answer.status_code == 409
    assert "another person with the authority must confirm it" in answer.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_r_auth_1_sending_back_needs_a_reason_and_leaves_the_claim_undecided(world, login):
    pending = pending_of(world)
    client = login(world.supervisor_user)

    empty = client.post(act_url(pending, "send_back"), {"seen": "pending:0", "reason": ""})
    assert empty.status_code == 400
    client.post(act_url(pending, "send_back"), {"seen": "pending:0", "reason": "金额过高"}, follow=True)

    pending.refresh_from_db()
    pending.claim.refresh_from_db()
    assert pending.status == "sent_back" and pending.claim.status == S.SUBMITTED
    assert "金额过高" in client.get(claim_url(pending.claim)).content.decode().split('id="approval-steps"')[1]


def test_r_auth_1_another_insurers_supervisor_never_sees_the_queue_row(world, login):
    from ..factories import member

    pending = pending_of(world)
    outsider = member("sup-x", Role.SUPERVISOR, insurer=world.other_insurer)
    client = login(outsider)
    assert result_rows(client.get(QUEUE)) == []
    assert client.get(act_url(pending, "confirm")).status_code == 404


def test_r_auth_1_the_queue_reads_a_fixed_number_of_queries(world, login):
    client = login(world.supervisor_user)
    pending_of(world)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as one:
        client.get(QUEUE)
    for _ in range(4):
        claim = world.claim(paid="199.00")
        claims.decide(claim, "approve", world.reviewer, problem_code="performance_fault", now=world.now)
    with CaptureQueriesContext(connection) as five:
        assert len(result_rows(client.get(QUEUE))) == 5
    assert len(five) == len(one)
    assert PendingDecision.objects.count() == 5
