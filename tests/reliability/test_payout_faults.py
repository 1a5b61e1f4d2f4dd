"""R-PAY-5 against the payment provider (R-PAY-6), with real workers on Redis and the stand-in
gateway: a worker SIGKILLed between the call and recording the answer, a provider that times out
after transferring, a duplicated task, two sweepers at once. Each ends with exactly one transfer
per claim and kind, and the claim paid once."""

import datetime as dt

import pytest
from django.utils import timezone

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Claim
from ledger.models import Entry, EntryKind
from merchants.models import Shop
from payments.choices import AttemptKind, AttemptStatus
from payments.models import PayoutAttempt
from payments.services import attempts as payouts
from tests.world import World
from zhibao.celery import app

from .postgres import connect, postgresql_only
from .test_worker_faults import _waiting_on_a_lock
from .workers import Worker, forget_queued_tasks, redis_only, transfers_for, wait_for, worker_database_url

pytestmark = [redis_only, postgresql_only, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

ENV = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_UNACKED_RESTORE_INTERVAL": "1"}


@pytest.fixture
def real_broker():
    forget_queued_tasks()
    app.conf.update(task_always_eager=False)
    yield
    app.conf.update(task_always_eager=True)
    forget_queued_tasks()


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.stop()


def refunded(world, n, *, account=None, kind="refund_only"):
    """`n` claims refunded on the platform; their transfers are stored and their tasks queued."""
    if account:
        Shop.objects.filter(pk=world.shop.pk).update(payout_account=account)
    due = [world.in_state(S.REFUND_DUE, kind=kind, buyer=f"payout-buyer-{i}") for i in range(n)]
    for claim in due:
        claims.complete_refund(
            Claim.objects.get(pk=claim.pk), world.platform, now=world.now, buyer_payout_account=f"buyer-{claim.pk}"
        )
    return due


def sweep_overdue():
    """The beat's sweep, as of the moment every lost answer is overdue."""
    return payouts.check_due(now=timezone.now() + payouts.answer_wait() + dt.timedelta(seconds=1))


def assert_paid_once(standin, due, kinds=(AttemptKind.CLAIM_PAYOUT,)):
    for claim in due:
        assert Claim.objects.get(pk=claim.pk).status == S.PAID
        assert Entry.objects.filter(claim=claim, kind=EntryKind.CLAIM_PAID).count() == 1
        for kind in kinds:
            assert len(transfers_for(standin, claim, kind)) == 1, (claim.claim_id, kind)


def test_r_pay_5_a_worker_killed_between_the_call_and_the_answer_pays_once(standin, real_broker, workers):
    world = World()
    [claim] = refunded(world, 1)
    with connect(worker_database_url()) as lock, connect(worker_database_url()) as watch:
        # The claim is locked: the worker's transfer goes through, then it waits to record it.
        lock.execute("SELECT id FROM claims_claim WHERE id = %s FOR UPDATE", [claim.pk])
        watch.autocommit = True
        workers.append(Worker("p1", **ENV))
        wait_for(lambda: _waiting_on_a_lock(watch), timeout=90, workers=workers, what="an answer being recorded")
        assert len(transfers_for(standin, claim)) == 1
        workers[-1].kill()
        lock.rollback()
    attempt = PayoutAttempt.objects.get(claim=claim)
    assert attempt.status == AttemptStatus.SENT and Claim.objects.get(pk=claim.pk).status == S.REFUNDED

    # The task comes back to a new worker: the attempt is no longer `created`, so it is not sent
    # again; the sweep asks Alipay by out_biz_no and records the transfer it made.
    workers.append(Worker("p2", **ENV))
    wait_for(lambda: sweep_overdue() == 1, timeout=60, workers=workers[-1:], what="the overdue sweep")
    assert_paid_once(standin, [claim])
    assert PayoutAttempt.objects.filter(claim=claim).count() == 1


def test_r_pay_5_a_provider_timing_out_after_transferring_pays_once(standin, real_broker, workers):
    world = World()
    due = refunded(world, 3, account="alipay-shop-a-timeout")
    workers.append(Worker("t1", **ENV))
    wait_for(
        lambda: PayoutAttempt.objects.filter(status=AttemptStatus.UNKNOWN).count() == 3,
        timeout=90,
        workers=workers,
        what="three answers lost to the time-out",
    )
    assert all(len(transfers_for(standin, claim)) == 1 for claim in due)  # made all the same
    # The sweep (as the beat would, once the backoff is over) finds each made; none is re-sent.
    payouts.check_due(now=timezone.now() + dt.timedelta(minutes=5))
    assert_paid_once(standin, due)
    assert standin.book.transfer_calls == 3


def test_r_pay_5_a_duplicated_send_task_pays_once(standin, real_broker, workers):
    world = World()
    due = refunded(world, 4, kind="return_refund")
    for attempt in PayoutAttempt.objects.all():
        for _copy in range(3):
            app.send_task("payments.tasks.send_payout", args=[attempt.pk])
    workers += [Worker("d1", **ENV), Worker("d2", **ENV)]
    wait_for(
        lambda: (
            Claim.objects.filter(status=S.PAID).count() == 4
            and Entry.objects.filter(kind=EntryKind.SHIPPING_ALLOWANCE_PAID).count() == 4
        ),
        timeout=120,
        workers=workers,
        what="every claim and allowance paid",
    )
    assert_paid_once(standin, due, kinds=(AttemptKind.CLAIM_PAYOUT, AttemptKind.SHIPPING_ALLOWANCE))
    assert standin.book.transfer_calls == 8


def test_r_pay_5_two_sweepers_at_once_pay_once(standin, real_broker, workers):
    """Every first answer is "system busy": each attempt is unknown, and two workers sweep at the
    same moment; each attempt is queried and sent again under its own number once."""
    world = World()
    due = refunded(world, 6, account="alipay-shop-a-busy")
    workers.append(Worker("s0", **ENV))
    wait_for(
        lambda: PayoutAttempt.objects.filter(status=AttemptStatus.UNKNOWN).count() == 6,
        timeout=90,
        workers=workers,
        what="six busy answers",
    )
    workers[-1].stop()
    PayoutAttempt.objects.update(next_check_at=timezone.now())  # their backoff is over
    for _sweeper in range(2):
        app.send_task("payments.tasks.check_due_payouts")
    workers += [Worker("s1", **ENV), Worker("s2", **ENV)]
    wait_for(
        lambda: Claim.objects.filter(pk__in=[c.pk for c in due], status=S.PAID).count() == 6,
        timeout=120,
        workers=workers[-2:],
        what="every claim paid",
    )
    assert_paid_once(standin, due)
    assert PayoutAttempt.objects.count() == 6  # never a new number
