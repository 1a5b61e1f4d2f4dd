"""Real Celery workers for fault tests: started against the test database and the configured
broker, killed with SIGKILL as an OOM killer or a lost machine would."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

redis_only = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs a Redis broker (CI sets CELERY_BROKER_URL); the filesystem broker has no redelivery",
)


def worker_database_url():
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def forget_queued_tasks():
    """Empty the broker: waiting tasks, and those a killed worker left unacknowledged."""
    from zhibao.celery import app

    app.control.purge()
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete("unacked", "unacked_index", "unacked_mutex")
        app.control.purge()


class Worker:
    """`celery worker -P solo` in its own process, its output kept for the failure message. It names no
    -Q, so it consumes every workload queue, as `make run`'s worker does."""

    def __init__(self, name, **env):
        environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhibao.settings.test",
            "DATABASE_URL": worker_database_url(),
            **env,
        }
        celery = str(Path(sys.executable).with_name("celery"))
        command = [celery, "-A", "zhibao", "worker", "-P", "solo", "-c", "1", "-n", f"{name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self):
        return "".join(self.lines[-200:])

    def kill(self):
        """SIGKILL: no shutdown, no acknowledgement, the open transaction dies with the process."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, *, timeout, workers=(), what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            assert worker.process.poll() is None, f"a worker died on its own:\n{worker.output}"
        time.sleep(0.2)
    outputs = "\n".join(worker.output for worker in workers)
    raise AssertionError(f"timed out waiting for {what}\n{outputs}")


def transfers_for(standin, claim, kind=None):
    """The transfers the stand-in gateway made for `claim` (of one kind, if given)."""
    numbers = set(claim.payout_attempts.filter(**({"kind": kind} if kind else {})).values_list("out_biz_no", flat=True))
    with standin.book.lock:
        return [o for o in standin.book.orders.values() if o["out_biz_no"] in numbers and o["result"] == "SUCCESS"]
