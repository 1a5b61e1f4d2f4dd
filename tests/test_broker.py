"""A real Celery round trip: a payout task sent on commit through the configured broker (Redis
in CI, the embedded filesystem broker elsewhere) and executed by a real worker process (R-PAY-1)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from claims import services as claims
from claims.models import Claim
from ledger.models import Entry
from zhibao.celery import app

from .world import World

ROOT = Path(__file__).resolve().parent.parent


def _test_database_url():
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_r_pay_1_payout_goes_through_the_broker_to_a_real_worker():
    world = World()
    claim = world.approved(kind="refund_only")
    app.conf.update(task_always_eager=False)
    claims.complete_refund(claim, world.platform, now=world.now)
    assert Claim.objects.get(pk=claim.pk).status == "refunded"

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhibao.settings.test", "DATABASE_URL": _test_database_url()}
    celery = str(Path(sys.executable).with_name("celery"))
    worker = subprocess.Popen(
        [
            celery,
            "-A",
            "zhibao",
            "worker",
            "-P",
            "solo",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and Claim.objects.get(pk=claim.pk).status != "paid":
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()
    assert Claim.objects.get(pk=claim.pk).status == "paid", output
    assert Entry.objects.filter(claim=claim, kind="claim_paid").count() == 1
