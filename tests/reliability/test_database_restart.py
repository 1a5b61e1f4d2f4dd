"""PostgreSQL restarted under load (an immediate shutdown: a crash, recovered from the WAL), with
its default durability settings: no claim the API acknowledged is lost, clients meanwhile get a
clear 503 in the contract's error shape (never a page, never a half-made claim), and sending the
same requests again afterwards leaves exactly one claim per refund request."""

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import psycopg
import pytest
import requests
from django.db import OperationalError

from .postgres import ROOT, postgresql_only, tool
from .workers import wait_for

CLIENTS = 8
RESTART_AFTER = 40  # acknowledged claims before the crash


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL with the defaults production keeps: fsync, synchronous commit,
    full page writes (CI's shared cluster turns them off for speed)."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="zb-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.folder, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()

    def _run(self, *command):
        result = subprocess.run(
            [*self.as_postgres, *command], cwd=self.folder, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=100"
        self._run(
            tool("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-o", options, "start"
        )

    def crash_and_restart(self):
        """`-m immediate`: no checkpoint, no goodbye to clients; the start replays the WAL."""
        self._run(tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        time.sleep(1)  # clients meet a database that is gone, not only one that restarts
        self.start()

    def settings(self):
        with psycopg.connect(self.url) as conn:
            return dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name IN "
                    "('fsync', 'synchronous_commit', 'full_page_writes')"
                ).fetchall()
            )

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def remove(self):
        subprocess.run(
            [*self.as_postgres, tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


class Server:
    """Zhibao under gunicorn against the cluster, with a broker of its own (nothing it queues
    may reach the test run's workers)."""

    def __init__(self, cluster, folder):
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhibao.settings.test",
            "DATABASE_URL": cluster.url,
            "CELERY_BROKER_URL": "filesystem://",
            "ZHIBAO_TEST_BROKER_DIR": str(folder / "broker"),
            "ZHIBAO_VAR_DIR": str(folder / "var"),
            "MEDIA_ROOT": str(folder / "media"),
        }
        self.env.pop("CELERY_BROKER_WRITE_URL", None)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("seed_demo")
        self.key = self.manage("issue_api_token", "restart-test").strip().splitlines()[-1]
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "zhibao.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "3", "--threads", "4", "-t", "60"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/api/v1/"
        try:
            wait_for(self.up, timeout=60, what="gunicorn")
        except BaseException:
            self.stop()  # a server that never came up must not outlive the test
            raise

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def up(self):
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            # Still booting its workers (slow on a loaded 2-core machine): not up yet.
            return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


class Client(threading.Thread):
    """A platform system sending orders, their events and refund requests, as fast as it can."""

    def __init__(self, number, server, stop):
        super().__init__(daemon=True)
        self.number, self.server, self.stop = number, server, stop
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {server.key}"
        self.acknowledged = {}  # refund_id → claim_id
        self.refunds = {}  # refund_id → its request, acknowledged or not
        self.answers = Counter()
        self.refused = []  # (status, body) of every non-2xx answer
        self.broken = []  # what no client should ever see

    def post(self, path, body):
        response = self.http.post(self.server.url + path, json=body, timeout=30)
        self.answers[response.status_code] += 1
        if response.status_code >= 300:
            self.refused.append((response.status_code, response.headers.get("Retry-After"), response.text))
        return response

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self.one_claim(f"c{self.number}-{n}")
            except requests.RequestException as exc:
                self.broken.append(repr(exc))

    def one_claim(self, name):
        now = dt.datetime.now(dt.UTC)
        order = {
            "sub_order_id": f"so-{name}",
            "order_id": f"o-{name}",
            "shop_id": "demo-shop",
            "buyer_id": f"b-{name}",
            "product_id": "kettle",
            "warranty_plan": "appliance_30d",
            "paid_amount": "199.00",
            "placed_at": (now - dt.timedelta(days=3)).isoformat(),
        }
        events = {
            "events": [
                {
                    "sub_order_id": order["sub_order_id"],
                    "type": "shipped",
                    "at": (now - dt.timedelta(days=2)).isoformat(),
                },
                {
                    "sub_order_id": order["sub_order_id"],
                    "type": "receipt_confirmed",
                    "at": (now - dt.timedelta(days=1)).isoformat(),
                },
            ]
        }
        refund = {
            "refund_id": f"rf-{name}",
            "sub_order_id": order["sub_order_id"],
            "kind": "refund_only",
            "reason": "quality",
            "amount": "199.00",
            "description": "不制热",
            "requested_at": now.isoformat(),
        }
        if self.post("orders", order).status_code >= 300 or self.post("order-events", events).status_code >= 300:
            return
        self.refunds[refund["refund_id"]] = (order, events, refund)
        response = self.post("refund-requests", refund)
        if response.status_code == 201:
            self.acknowledged[refund["refund_id"]] = response.json()["claim"]["claim_id"]


needs_binaries = pytest.mark.skipif(
    not (tool("initdb") and tool("pg_ctl")), reason="PostgreSQL's initdb and pg_ctl are not installed"
)


@postgresql_only
@needs_binaries
def test_a_crash_of_postgresql_under_load_loses_no_acknowledged_claim():
    cluster = Cluster()
    server = None
    stop = threading.Event()
    clients = []
    try:
        assert cluster.settings() == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        server = Server(cluster, cluster.folder)
        clients = [Client(n, server, stop) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        wait_for(lambda: sum(len(c.acknowledged) for c in clients) >= RESTART_AFTER, timeout=120, what="load")
        cluster.crash_and_restart()
        acknowledged_at_crash = sum(len(c.acknowledged) for c in clients)
        wait_for(
            lambda: sum(len(c.acknowledged) for c in clients) >= acknowledged_at_crash + RESTART_AFTER,
            timeout=120,
            what="the load to go on after the restart",
        )
        stop.set()
        for client in clients:
            client.join(timeout=60)

        acknowledged = {r: c for client in clients for r, c in client.acknowledged.items()}
        refused = [answer for client in clients for answer in client.refused]
        with psycopg.connect(cluster.url) as conn:
            stored = dict(
                conn.execute(
                    "SELECT r.refund_id, c.claim_id FROM claims_refundrequest r JOIN claims_claim c "
                    "ON c.refund_request_id = r.id"
                ).fetchall()
            )
            unrouted = conn.execute(
                "SELECT count(*) FROM claims_refundrequest r WHERE business_type = 'warranty' "
                "AND NOT EXISTS (SELECT 1 FROM claims_claim c WHERE c.refund_request_id = r.id)"
            ).fetchone()[0]
            unaudited = conn.execute(
                "SELECT count(*) FROM claims_claim c WHERE NOT EXISTS (SELECT 1 FROM audit_transitionlog t "
                "WHERE t.object_id = c.id AND t.transition = 'open')"
            ).fetchone()[0]

        # No acknowledged claim is lost, and none is half made.
        assert {r: stored.get(r) for r in acknowledged} == acknowledged
        assert unrouted == 0 and unaudited == 0
        # Clients saw the contract's error shape, a 503 that says when to retry, and nothing worse.
        assert [b for client in clients for b in client.broken] == []
        assert refused, "the crash went unnoticed: the test proved nothing"
        for status, retry_after, body in refused:
            assert status == 503 and retry_after == "5" and '"code":"unavailable"' in body.replace(" ", ""), body

        # Every request sent again: one claim per refund request, the acknowledged ones unchanged.
        resend = Client(99, server, threading.Event())
        for client in clients:
            for refund_id, (order, events, refund) in client.refunds.items():
                assert resend.post("orders", order).status_code in (200, 201)
                assert resend.post("order-events", events).status_code in (200, 201)
                answer = resend.post("refund-requests", refund)
                assert answer.status_code in (200, 201), answer.text
                claim_id = answer.json()["claim"]["claim_id"]
                assert acknowledged.get(refund_id, claim_id) == claim_id
        with psycopg.connect(cluster.url) as conn:
            per_request = conn.execute(
                "SELECT count(*), count(DISTINCT refund_request_id) FROM claims_claim"
            ).fetchone()
        assert per_request[0] == per_request[1] >= len(acknowledged)
        print(
            f"\ndatabase crash: {CLIENTS} clients, {len(acknowledged)} claims acknowledged, none lost; "
            f"{len(refused)} requests answered 503 during the restart; "
            f"{sum(sum(c.answers.values()) for c in clients)} requests in all"
        )
    finally:
        stop.set()
        try:
            if server:
                server.stop()
        finally:
            cluster.remove()


def test_an_unreachable_database_is_a_503_with_retry_after(client, db):
    """The API's answer when the database is out of reach, without stopping one."""
    from integrations.services import issue_client

    _client, key = issue_client("retry-test")
    with mock.patch(
        "integrations.authentication.TokenAuthentication.authenticate",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
