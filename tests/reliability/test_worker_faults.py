"""Workers killed with SIGKILL in the middle of a webhook delivery and in the middle of a payout,
on Redis with a short visibility timeout: after a restart every payout happens exactly once
(R-PAY-5) and every webhook arrives at least once (api.md: receivers de-duplicate by id).

What makes it hold: tasks are enqueued on commit, acknowledged late and rejected when their
worker is lost, so Redis hands them out again; payouts and webhook sends are idempotent."""

import datetime as dt
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Claim
from integrations import webhooks
from integrations.models import WebhookDelivery
from integrations.services import issue_client
from ledger.models import Entry, EntryKind
from payments.choices import AttemptStatus
from payments.models import PayoutAttempt
from payments.services import attempts as payouts
from tests.world import World
from zhibao.celery import app

from .postgres import connect, postgresql_only
from .workers import Worker, forget_queued_tasks, redis_only, transfers_for, wait_for, worker_database_url

pytestmark = [redis_only, postgresql_only, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

CLAIMS = 12
# Seconds before Redis hands an unacknowledged task to another worker, and between looks for them.
VISIBILITY_TIMEOUT = "3"
RESTORE_INTERVAL = "1"


class Receiver:
    """A webhook endpoint that can hold a request open (the sender is then mid-delivery)."""

    def __init__(self):
        self.received = Counter()
        self.holding = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.holding.is_set() and not receiver.held.is_set():
                    receiver.held.set()
                    receiver.release.wait(60)
                    return  # the sender was killed meanwhile: no answer
                receiver.received[json.loads(body)["id"]] += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def real_broker():
    """Tasks go through Redis to the workers this test starts, on an empty queue: the test
    database's ids start again in every session, so an old session's task must not meet them."""
    forget_queued_tasks()
    app.conf.update(task_always_eager=False)
    yield
    app.conf.update(task_always_eager=True)
    forget_queued_tasks()


def test_r_pay_5_payouts_once_and_webhooks_at_least_once_through_killed_workers(receiver, real_broker, standin):
    world = World()
    issue_client("platform-hooks", webhook_url=receiver.url)
    due = [world.in_state(S.REFUND_DUE, buyer=f"fault-buyer-{n}") for n in range(CLAIMS)]
    held = due[-1]
    workers = []
    env = {"CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT, "CELERY_UNACKED_RESTORE_INTERVAL": RESTORE_INTERVAL}
    try:
        # 1. The first webhook request is held open; its worker is killed mid-delivery.
        receiver.holding.set()
        for claim in due:
            claims.complete_refund(claim, world.platform, now=world.now)  # tasks sent on commit
        workers.append(Worker("w1", **env))
        wait_for(receiver.held.is_set, timeout=90, workers=workers, what="a webhook in flight")
        workers[-1].kill()
        receiver.holding.clear()
        receiver.release.set()

        # 2. A payout blocks on a row lock the test holds: Alipay has made the transfer and the
        #    worker waits to record it on the claim (R-PAY-6); it is killed between call and answer.
        with connect(worker_database_url()) as lock, connect(worker_database_url()) as watch:
            lock.execute("SELECT id FROM claims_claim WHERE id = %s FOR UPDATE", [held.pk])
            watch.autocommit = True
            workers.append(Worker("w2", **env))
            wait_for(lambda: _waiting_on_a_lock(watch), timeout=90, workers=workers[-1:], what="a payout mid-flight")
            workers[-1].kill()
            lock.rollback()
        assert Claim.objects.get(pk=held.pk).status == S.REFUNDED  # its transaction died with the worker
        assert PayoutAttempt.objects.get(claim=held).status == AttemptStatus.SENT  # committed before the call

        # 3. A fresh worker picks up what the dead ones held (after the visibility timeout); the
        #    beat's sweep queries the attempt whose answer was lost, once its answer is overdue.
        workers.append(Worker("w3", **env))

        def all_paid():
            payouts.check_due(now=timezone.now() + payouts.answer_wait() + dt.timedelta(seconds=1))
            return Claim.objects.filter(pk__in=[c.pk for c in due], status=S.PAID).count() == CLAIMS

        wait_for(all_paid, timeout=120, workers=workers[-1:], what="every claim paid")
        # A send cut off mid-request keeps its lease for two minutes; the beat sweep then sends it.
        webhooks.send_due(now=timezone.now() + webhooks.LEASE + dt.timedelta(seconds=1))
        wait_for(
            lambda: not WebhookDelivery.objects.filter(delivered_at__isnull=True).exists(),
            timeout=120,
            workers=workers[-1:],
            what="every webhook delivered",
        )
    finally:
        for worker in workers:
            worker.stop()

    for claim in due:
        assert Entry.objects.filter(claim=claim, kind=EntryKind.CLAIM_PAID).count() == 1
        assert len(transfers_for(standin, claim)) == 1  # and Alipay moved the money once
    deliveries = WebhookDelivery.objects.all()
    assert deliveries.count() > CLAIMS * 3
    assert {str(d.event_id) for d in deliveries} <= set(receiver.received)
    duplicates = sum(n - 1 for n in receiver.received.values())
    print(
        f"\nworker faults: 2 workers SIGKILLed, {CLAIMS} payouts made once each, "
        f"{deliveries.count()} webhooks delivered, {duplicates} delivered twice (de-duplicated by id)"
    )


def _waiting_on_a_lock(watch):
    """A backend of the test database waits for a row lock: the worker's payout."""
    return (
        watch.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [connection.settings_dict["NAME"]],
        ).fetchone()[0]
        > 0
    )
