"""queue_scale and deadlines_scale, in a database of their own (run.py starts this module with
DATABASE_URL naming it): the review queue, the supervisor's at-risk board and the merchant's claim
list rendered at 1,000 and at 1,000,000 claims, and process_deadlines with 100 due timers among as
many idle claims. Each size lives in its own database, served by its own process, and run.py
measures them turn about.

The claims are generated in SQL: spread over the 200 shops, about 5 % open (3 % submitted, 1 %
waiting for evidence, 1 % waiting for the return), 10 % with a flag, the rest closed over the
past year; every timer of an idle claim lies in the future."""

import os
import statistics
import subprocess
import sys
import time
from functools import partial

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalogue.models import Plan  # noqa: E402
from claims.services import process_deadlines  # noqa: E402
from merchants.models import Enrolment  # noqa: E402

from . import world as bench_world  # noqa: E402

DUE = 100
BUYERS = 100_000
RENDERS = 5
PAGES = {
    "admin review queue": ("reviewer", "/admin/backoffice/queuedclaim/"),
    "portal claims list": ("merchant", "/portal/claims/"),
    # R-ASSIGN-1: the supervisor's board, with every generated claim in review waiting in the pool.
    "admin at-risk board": ("supervisor", "/admin/claims/reviewerprofile/board/?hours=24"),
}
# Printed beside them, not part of queue_scale: a reviewer looking up claims by an id (a claim
# both sizes hold), by the first characters of an id or tracking number (the dozen MARKED claims,
# in both sizes alike) and by a shop's name (a two-hundredth of the claims: 5 or 5,000).
SEARCH = "/admin/claims/claim/?q="
LOOK_UPS = {
    "admin claim search by id": ("reviewer", SEARCH + "CLSCALE500"),
    "admin claim search by id prefix": ("reviewer", SEARCH + "CLDESK1"),
    "admin claim search by refund id prefix": ("reviewer", SEARCH + "TB-RF-DESK-1"),
    "admin claim search by sub-order id prefix": ("reviewer", SEARCH + "TB-SO-DESK-1"),
    "admin claim search by tracking prefix": ("reviewer", SEARCH + "sf%207700-1"),
    "admin claim search by shop name": ("reviewer", SEARCH + "Bench%20shop%2042"),
}
# Twelve claims (numbers both sizes hold) with ids as the platform writes them, so that a prefix
# names the same twelve whatever the number of claims: the generated ids are numbers, whose
# prefixes match ten times more rows at each power of ten.
MARKED = [
    "UPDATE claims_claim SET claim_id = 'CLDESK' || id, tracking_number = 'SF 7700-' || id"
    " WHERE id BETWEEN 101 AND 112",
    "UPDATE claims_refundrequest SET refund_id = 'TB-RF-DESK-' || id WHERE id BETWEEN 101 AND 112",
    "UPDATE policies_suborder SET sub_order_id = 'TB-SO-DESK-' || id WHERE id BETWEEN 101 AND 112",
]
TABLES = (
    "claims_buyer",
    "policies_suborder",
    "policies_policy",
    "claims_refundrequest",
    "claims_claim",
    "claims_claimflag",
)

# One statement per table; %(first)s and %(last)s bound the claim numbers n, which are also the
# ids of the sub-order, policy, refund request and claim of that number. The shop is n mod 200 and
# the state (n / 200) mod 100, so that every shop has open and closed claims alike. `due` claims (a fifth
# each: 2/5 past their SLA warning, 1/5 past the breach, 1/5 past the evidence deadline, 1/5 past
# the return deadline) are the timers process_deadlines has to find.
GENERATE = [
    """
    INSERT INTO claims_buyer (id, buyer_id, level, reported_level, revoked_reason, level_reports)
    SELECT b, 'scale-buyer-' || b, 'normal', 'normal', '', 1 FROM generate_series(1, %(buyers)s) b
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO policies_suborder (id, sub_order_id, order_id, buyer_id, product_id, paid_amount, placed_at, rate,
        not_covered_reason, shipped_at, receipt_confirmed_at, created_at, enrolment_id, insurer_id, shop_id,
        warranty_plan_id)
    SELECT n, 'scale-so-' || n, 'scale-o-' || n, 'scale-buyer-' || (1 + n %% %(buyers)s), 'kettle-KX-12', 199.00,
        c.placed, 0.0150, '', c.placed + interval '1 day', c.placed + interval '2 days', c.placed,
        (%(enrolments)s::bigint[])[1 + n %% 200], %(insurer)s, (%(shops)s::bigint[])[1 + n %% 200], %(plan)s
    FROM generate_series(%(first)s, %(last)s - 1) n,
        LATERAL (SELECT %(now)s::timestamptz - interval '1 day' * (4 + n %% 365) AS placed) c
    """,
    """
    INSERT INTO policies_policy (id, policy_no, status, rate, premium, coverage_hours, return_shipping_allowance,
        issued_at, cover_starts_at, cover_ends_at, claim_paid, enrolment_id, insurer_id, plan_id, shop_id, sub_order_id)
    SELECT s.id, 'SCALE' || s.id, 'expired', s.rate, 2.99, 720, 10.00, s.shipped_at, s.receipt_confirmed_at,
        s.receipt_confirmed_at + interval '720 hours', s.id %% 100 >= 5, s.enrolment_id, s.insurer_id,
        s.warranty_plan_id, s.shop_id, s.id
    FROM policies_suborder s WHERE s.id >= %(first)s AND s.id < %(last)s
    """,
    """
    INSERT INTO claims_refundrequest (id, refund_id, kind, reason, amount, description, requested_at, buyer_level,
        business_type, not_routed_because, created_at, buyer_id, insurer_id, shop_id, sub_order_id)
    SELECT s.id, 'scale-rf-' || s.id, CASE WHEN s.id %% 2 = 0 THEN 'return_refund' ELSE 'refund_only' END,
        'quality', 150.00, '壶底漏水,无法加热', s.receipt_confirmed_at + interval '1 day', 'normal', 'warranty', '',
        s.receipt_confirmed_at + interval '1 day', 1 + s.id %% %(buyers)s, s.insurer_id, s.shop_id, s.id
    FROM policies_suborder s WHERE s.id >= %(first)s AND s.id < %(last)s
    """,
    """
    INSERT INTO claims_claim (id, claim_id, kind, reason, description, status, requested_amount, approved_amount,
        opened_at, updated_at, review_sla_hours, evidence_response_hours, return_tracking_hours,
        merchant_receipt_hours, refund_due_hours, appeal_days, review_due_at, sla_warn_at, sla_breach_at,
        evidence_due_at, return_due_at, decided_at, carrier, tracking_number, closed_at, paid_at, audit_requested,
        audit_outcome, buyer_id, insurer_id, plan_id, policy_id, shop_id, sub_order_id, refund_request_id)
    SELECT r.id, 'CLSCALE' || r.id, r.kind, r.reason, r.description, k.claim_status, 150.00,
        CASE WHEN k.claim_status = 'paid' THEN 150.00 END, k.opened, k.opened, 24, 72, 168, 240, 48, 15,
        CASE WHEN k.claim_status = 'submitted' THEN k.opened + interval '24 hours' END,
        CASE WHEN k.claim_status = 'submitted' THEN
            CASE WHEN k.due AND r.id %% 5 < 2 THEN %(now)s::timestamptz - interval '1 minute'
                 WHEN k.due THEN NULL ELSE k.opened + interval '1152 minutes' END END,
        CASE WHEN k.claim_status = 'submitted' THEN
            CASE WHEN k.due AND r.id %% 5 = 2 THEN %(now)s::timestamptz - interval '1 minute'
                 ELSE k.opened + interval '24 hours' END END,
        CASE WHEN k.claim_status = 'evidence_requested' THEN
            CASE WHEN k.due THEN %(now)s::timestamptz - interval '1 minute' ELSE k.opened + interval '72 hours' END
            END,
        CASE WHEN k.claim_status = 'awaiting_return' THEN
            CASE WHEN k.due THEN %(now)s::timestamptz - interval '1 minute' ELSE k.opened + interval '168 hours' END
            END,
        CASE WHEN k.claim_status NOT IN ('submitted', 'evidence_requested') THEN k.opened + interval '5 hours' END,
        '', '',
        CASE WHEN k.claim_status IN ('rejected', 'closed_no_return', 'paid') THEN k.opened + interval '6 days' END,
        CASE WHEN k.claim_status = 'paid' THEN k.opened + interval '6 days' END, false, '',
        r.buyer_id, r.insurer_id, %(plan)s, r.id, r.shop_id, r.sub_order_id, r.id
    FROM claims_refundrequest r,
        LATERAL (SELECT %(due)s AS due,
            CASE WHEN %(due)s THEN (ARRAY['submitted', 'submitted', 'submitted', 'evidence_requested',
                                          'awaiting_return'])[1 + r.id %% 5]
                 WHEN r.id / 200 %% 100 < 3 THEN 'submitted'
                 WHEN r.id / 200 %% 100 = 3 THEN 'evidence_requested'
                 WHEN r.id / 200 %% 100 = 4 THEN 'awaiting_return'
                 WHEN r.id / 200 %% 100 < 75 THEN 'paid'
                 WHEN r.id / 200 %% 100 < 95 THEN 'rejected'
                 ELSE 'closed_no_return' END AS claim_status,
            CASE WHEN %(due)s OR r.id / 200 %% 100 < 5
                 THEN %(now)s::timestamptz - interval '1 second' * (600 + r.id %% 60000)
                 ELSE r.requested_at + interval '1 second' * (r.id %% 86400) END AS opened) k
    WHERE r.id >= %(first)s AND r.id < %(last)s
    """,
    """
    INSERT INTO claims_claimflag (code, raised_at, detail, claim_id)
    SELECT CASE c.status WHEN 'submitted' THEN 'abnormal_buyer' ELSE 'sla_warning' END, c.opened_at, '', c.id
    FROM claims_claim c WHERE c.id >= %(first)s AND c.id < %(last)s AND c.id %% 10 = 7 AND NOT %(due)s
    """,
]


def generate(world, first, last, *, due=False):
    params = {**world, "first": first, "last": last, "due": due, "buyers": BUYERS}
    # The buyers come with the first claims; later claims share them.
    statements = GENERATE if first == 1 else GENERATE[1:]
    with connection.cursor() as cursor:
        # A bulk load of rows consistent by construction: no per-row foreign-key triggers.
        cursor.execute("SET session_replication_role = replica")
        for statement in statements:
            cursor.execute(statement, params)
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def analyze():
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def timed(call):
    """Seconds of one call, and its queries."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    return seconds, len(queries), result


def _get(client, url):
    response = client.get(url)
    if response.streaming:  # a CSV is written as it is read: read it all
        b"".join(response.streaming_content)
    return response


def render(client, url):
    """Seconds of one render (a streamed body read to its end), and its queries."""
    seconds, queries, response = timed(partial(_get, client, url))
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return seconds, queries


class Deadlines:
    """Each round, DUE fresh claims whose timers are due, and one run of process_deadlines."""

    def __init__(self, world, first, now):
        self.world, self.next_claim, self.now = world, first, now

    def __call__(self):
        generate(self.world, self.next_claim, self.next_claim + DUE, due=True)
        self.next_claim += DUE
        started = time.perf_counter()
        counts = process_deadlines(self.now)
        seconds = time.perf_counter() - started
        handled = sum(counts[name] for name in ("sla_warning", "sla_breached", "evidence_timeout", "closed_no_return"))
        if handled != DUE:
            raise RuntimeError(f"process_deadlines handled {handled} timers, not {DUE}: {counts}")
        return seconds, 0


def build_world(now):
    """The bench's world, and the ids generate() writes its claims with."""
    people = bench_world.build(now)
    enrolments = list(Enrolment.objects.order_by("shop__shop_id").values_list("pk", "shop_id", "insurer_id"))
    return people, {
        "now": now,
        "plan": Plan.objects.get(code=bench_world.PLAN).pk,
        "insurer": enrolments[0][2],
        "enrolments": [e[0] for e in enrolments],
        "shops": [e[1] for e in enrolments],
    }


def serve(claims):
    """Build this database's world with `claims` idle claims, then answer run.py's commands on
    stdin one line at a time: a page name (one render) or `deadlines` (one round)."""
    call_command("migrate", verbosity=0)
    now = timezone.now().replace(microsecond=0)
    people, world = build_world(now)
    started = time.perf_counter()
    generate(world, 1, claims + 1)
    with connection.cursor() as cursor:
        for statement in MARKED:
            cursor.execute(statement)
    analyze()
    generated = time.perf_counter() - started
    users = get_user_model().objects
    actions = {"deadlines": Deadlines(world, claims + 1, now)}
    for name, (who, url) in {**PAGES, **LOOK_UPS}.items():
        client = Client()
        client.force_login(users.get(pk=people[who]))
        render(client, url)  # the first render fills the caches
        actions[name] = partial(render, client, url)
    print("ready", f"{generated:.1f}", flush=True)
    for line in sys.stdin:
        seconds, queries = actions[line.strip()]()
        print(f"{seconds:.6f}", queries, flush=True)


class Size:
    """One database of claims, served by its own process (run.py's side)."""

    def __init__(self, claims, database_url, broker_url, module="bench.scale"):
        env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url}
        self.claims = claims
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, str(claims)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ready(self):
        words = self.proc.stdout.readline().split()
        if not words or words[0] != "ready":
            raise RuntimeError(f"The {self.claims}-claim database did not get ready")
        return [float(word) for word in words[1:]]

    def run(self, action):
        self.proc.stdin.write(action + "\n")
        self.proc.stdin.flush()
        seconds, queries = self.proc.stdout.readline().split()
        return float(seconds), int(queries)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(60)


def compare(small, large, rounds, rows):
    """Both sizes measured turn about, so that the machine's drift falls on both alike."""
    results = {}
    for action in (*PAGES, *LOOK_UPS, "deadlines"):
        times = {small: [], large: []}
        queries = {small: set(), large: set()}
        for _ in range(rounds):
            for size in (small, large):
                seconds, count = size.run(action)
                times[size].append(seconds)
                queries[size].add(count)
        t_small, t_large = statistics.median(times[small]), statistics.median(times[large])
        results[action] = t_large / t_small
        label = f"{small.claims:,} / {large.claims:,} claims"
        if action == "deadlines":
            rows.append(
                (f"process_deadlines, {DUE} due: {label}", f"{t_small * 1000:.0f} / {t_large * 1000:.0f} ms", "")
            )
            rows.append(("deadlines_scale", f"{t_large / t_small:.2f}", "target <= 1.5"))
            continue
        counts = f"{sorted(queries[small])} / {sorted(queries[large])}"
        equal = queries[small] == queries[large] and len(queries[small]) == 1
        rows.append(
            (
                f"{action}: {label}",
                f"{t_small * 1000:.1f} / {t_large * 1000:.1f} ms",
                f"median of {rounds}; queries {counts}" + ("" if equal else " NOT EQUAL"),
            )
        )
        target = "target <= 1.5" if action in PAGES else "not a target: shown for the reviewers' search"
        rows.append((f"{action}: scale", f"{t_large / t_small:.2f}", target))
    return {
        "queue_scale": max(results[name] for name in PAGES),
        "deadlines_scale": results["deadlines"],
    }


if __name__ == "__main__":
    serve(int(sys.argv[1]))
