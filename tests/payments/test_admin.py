"""Staff screens: refused transfers with the provider's reason and a confirmed retry (R-PAY-6);
mismatches with both sides, resolved with a reason, and the day count on the home page (R-PAY-7)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.choices import ClaimStatus
from kernel.timeutil import shanghai_date
from payments.choices import AttemptKind, AttemptStatus, MismatchKind
from payments.models import Mismatch, PayoutAttempt, ReconciliationDay
from payments.services import attempts

from ..admin.helpers import act_url, seen_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def refused(world, gateway):
    claim = world.in_state(ClaimStatus.REFUND_DUE)
    attempt = attempts.create_attempt(
        claim, AttemptKind.CLAIM_PAYOUT, "alipay-shop-a-frozen", Decimal("199.00"), world.staff, now=world.now
    )
    attempts.send(attempt.pk)
    return PayoutAttempt.objects.get(pk=attempt.pk)


def test_r_pay_6_staff_see_a_refused_transfer_with_the_providers_reason(world, login, refused):
    client = login(world.staff_user)
    listing = client.get(reverse("admin:payments_payoutattempt_changelist") + "?status__exact=refused")
    assert refused.out_biz_no in listing.content.decode() and "冻结" in listing.content.decode()
    page = client.get(reverse("admin:payments_payoutattempt_change", args=[refused.pk])).content.decode()
    assert 'data-action="retry"' in page


def test_r_pay_6_a_staff_retry_needs_confirming_and_makes_a_new_attempt(world, login, refused):
    client = login(world.staff_user)
    page = client.get(act_url(refused, "retry"))
    assert "PAYEE_ACCOUNT_STATUS_ERROR" in page.content.decode() or "冻结" in page.content.decode()
    unconfirmed = client.post(act_url(refused, "retry"), {"seen": seen_of(page, "retry")})
    assert unconfirmed.status_code == 400
    assert PayoutAttempt.objects.count() == 1

    done = client.post(act_url(refused, "retry"), {"seen": seen_of(page, "retry"), "confirm": "on"})
    assert done.status_code == 302
    new = PayoutAttempt.objects.exclude(pk=refused.pk).get()
    assert new.status == AttemptStatus.CREATED and new.out_biz_no != refused.out_biz_no


def test_r_pay_6_reviewers_cannot_retry(world, login, refused):
    client = login(world.reviewer_user)
    assert client.get(act_url(refused, "retry")).status_code == 403


def test_r_pay_7_staff_resolve_a_mismatch_with_a_reason_and_the_home_page_counts_open_days(world, login):
    day = ReconciliationDay.objects.create(day=shanghai_date(timezone.now()) - dt.timedelta(days=1))
    mismatch = Mismatch.objects.create(
        day=day,
        kind=MismatchKind.MISSING_HERE,
        out_biz_no="ZB-X",
        their_amount=Decimal("10.00"),
        their_payee="someone",
        their_line="7: …",
        found_at=timezone.now(),
    )
    client = login(world.staff_user)
    home = client.get(reverse("admin:index")).content.decode()
    assert "Days not reconciled" in home

    page = client.get(act_url(mismatch, "resolve"))
    assert "someone" in page.content.decode()
    blank = client.post(act_url(mismatch, "resolve"), {"seen": seen_of(page, "resolve"), "reason": ""})
    assert blank.status_code == 400
    done = client.post(
        act_url(mismatch, "resolve"), {"seen": seen_of(page, "resolve"), "reason": "A test transfer by finance"}
    )
    assert done.status_code == 302
    day.refresh_from_db()
    assert day.reconciled_at is not None
    mismatch.refresh_from_db()
    assert mismatch.resolved_by == world.staff_user and mismatch.resolution == "A test transfer by finance"


def test_r_pay_7_reviewers_see_no_reconciliation(world, login):
    ReconciliationDay.objects.create(day=dt.date(2026, 1, 1))
    client = login(world.reviewer_user)
    assert client.get(reverse("admin:payments_reconciliationday_changelist")).status_code == 403
