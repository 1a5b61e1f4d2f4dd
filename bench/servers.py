"""What the bench runs beside itself, all on loopback and all stopped by it: gunicorn, a Celery
worker, and the receiver that plays an insurer's claims system for the signed webhooks."""

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Sync workers. Gunicorn's docs suggest starting from 2 × cores + 1; on these 2 cores the server
# shares the machine with PostgreSQL, Redis and the load client, and 3 measured no worse than 5.
WORKERS = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid):
    """The high-water mark of a process's resident memory (VmHWM), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class Process:
    def __init__(self, args, log, env=None):
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def children(self):
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in text.split()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Gunicorn(Process):
    def __init__(self, log, workers=WORKERS, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [str(BIN / "gunicorn"), "zhibao.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "-t", "120"],
            log,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=5)
                if len(self.children()) >= workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start; see " + str(log))

    def peak_rss_mib(self):
        return max((peak_rss_mib(pid) for pid in self.children()), default=0.0)


def pooled_env():
    """What production's web servers run with behind PgBouncer in transaction mode (zhibao.settings):
    the pooler's address, persistent connections to it, no server-side cursors or prepared statements."""
    return {
        "DATABASE_URL": os.environ["BENCH_POOLED_DATABASE_URL"],
        "DATABASE_TRANSACTION_POOLING": "1",
        "DATABASE_CONN_MAX_AGE": "600",
    }


class CeleryWorker(Process):
    def __init__(self, log):
        super().__init__(
            [
                str(BIN / "celery"),
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
            log,
            env={**os.environ},
        )

    def peak_rss_mib(self):
        return peak_rss_mib(self.proc.pid)


class Receiver:
    """Accepts webhooks, refuses a bad signature, and notes when each (type, claim) arrived."""

    def __init__(self, secret=""):
        self.secret = secret
        self.arrived = {}
        self.bad_signatures = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server interface
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = receiver.verify(self.headers.get("Zhibao-Signature", ""), body)
                self.send_response(200 if ok else 400)
                self.end_headers()
                if ok:
                    event = json.loads(body)
                    with receiver.changed:
                        key = (event["type"], event["data"].get("claim_id") or event["data"].get("policy_no"))
                        receiver.arrived.setdefault(key, time.perf_counter())
                        receiver.changed.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, header, body):
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        expected = hmac.new(self.secret.encode(), f"{parts.get('t', '')}.".encode() + body, hashlib.sha256)
        if hmac.compare_digest(expected.hexdigest(), parts.get("v1", "")):
            return True
        self.bad_signatures += 1
        return False

    def wait_for(self, event_type, key, timeout):
        deadline = time.monotonic() + timeout
        with self.changed:
            while (event_type, key) not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.arrived[(event_type, key)]

    def stop(self):
        self.server.shutdown()
