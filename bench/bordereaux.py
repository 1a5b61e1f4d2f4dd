"""The bordereaux' memory and time (R-BDX-1), in a database of its own (run.py starts this module
with DATABASE_URL naming it): `claims` claims and their policies, all in one closed month, then
`make_bordereaux` for that month in a process of its own, whose peak RSS and time are reported.

The claims are bench.scale's, moved into the month: each policy's premium is charged in it, the
paid claims (70 %) are paid in it, the rejected and unreturned ones closed in it; every claim has
its decision and its transitions, as the services would have written them."""

import os
import resource
import subprocess
import sys
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalogue.models import Plan  # noqa: E402
from claims.models import Claim  # noqa: E402
from merchants.models import Enrolment  # noqa: E402
from reports.periods import last_closed  # noqa: E402

from . import scale  # noqa: E402
from . import world as bench_world  # noqa: E402

# Each claim's moments fall in the month's first 20 days, so that six days later it is still in it.
INTO_THE_MONTH = [
    """
    UPDATE claims_claim SET
        opened_at = %(start)s::timestamptz + interval '1 second' * (id %% 1728000),
        decided_at = CASE WHEN decided_at IS NOT NULL
            THEN %(start)s::timestamptz + interval '1 second' * (id %% 1728000 + 18000) END,
        closed_at = CASE WHEN closed_at IS NOT NULL
            THEN %(start)s::timestamptz + interval '1 second' * (id %% 1728000 + 518400) END,
        paid_at = CASE WHEN paid_at IS NOT NULL
            THEN %(start)s::timestamptz + interval '1 second' * (id %% 1728000 + 518400) END
    """,
    """
    INSERT INTO ledger_entry (kind, amount, points, shop_id, insurer_id, plan_id, policy_id, payee, created_at, memo)
    SELECT 'premium_charged', p.premium, 0, p.shop_id, p.insurer_id, p.plan_id, p.id, '',
        %(start)s::timestamptz + interval '1 second' * (p.id %% 1728000) + interval '1 hour', ''
    FROM policies_policy p
    """,
    """
    INSERT INTO ledger_entry (kind, amount, points, shop_id, insurer_id, plan_id, policy_id, claim_id, payee,
        created_at, memo)
    SELECT 'claim_paid', c.approved_amount, 0, c.shop_id, c.insurer_id, c.plan_id, c.policy_id, c.id,
        'alipay-bench', c.paid_at, ''
    FROM claims_claim c WHERE c.status = 'paid'
    """,
    """
    INSERT INTO claims_decision (claim_id, outcome, problem_code, approved_amount, reason, decided_at, automatic,
        on_appeal, role)
    SELECT c.id, CASE WHEN c.status = 'rejected' THEN 'reject' ELSE 'approve' END,
        CASE WHEN c.status = 'rejected' THEN 'human_damage' ELSE 'performance_fault' END,
        CASE WHEN c.status = 'rejected' THEN NULL ELSE c.requested_amount END, '', c.decided_at, false, false,
        'reviewer'
    FROM claims_claim c WHERE c.decided_at IS NOT NULL
    """,
    """
    INSERT INTO audit_transitionlog (content_type_id, object_id, transition, source, target, at, role, channel,
        actor_label, reason)
    SELECT %(claim_type)s, c.id, 'open', '', 'submitted', c.opened_at, 'platform', 'api', 'bench', ''
    FROM claims_claim c
    UNION ALL
    SELECT %(claim_type)s, c.id, 'close', 'submitted', c.status, c.closed_at, 'timer', 'timer', 'bench', ''
    FROM claims_claim c WHERE c.closed_at IS NOT NULL
    """,
]


def generate(claims):
    call_command("migrate", verbosity=0)
    now = timezone.now().replace(microsecond=0)
    bench_world.build(now)
    enrolments = list(Enrolment.objects.order_by("shop__shop_id").values_list("pk", "shop_id", "insurer_id"))
    world = {
        "now": now,
        "plan": Plan.objects.get(code=bench_world.PLAN).pk,
        "insurer": enrolments[0][2],
        "enrolments": [e[0] for e in enrolments],
        "shops": [e[1] for e in enrolments],
    }
    period = last_closed(now)
    scale.generate(world, 1, claims + 1)
    params = {"start": period.starts_at, "claim_type": ContentType.objects.get_for_model(Claim).pk}
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        for statement in INTO_THE_MONTH:
            cursor.execute(statement, params)
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("claims_claim", "ledger_entry", "claims_decision", "audit_transitionlog"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return period


def measure(period):
    """make_bordereaux in a child process of this one, whose only child it is: ru_maxrss of the
    children is then its peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-bordereaux-") as media:
        env = {**os.environ, "MEDIA_ROOT": media}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "manage.py", "make_bordereaux", "--period", str(period)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"make_bordereaux failed: {done.stderr[-500:]}")
    lines = sum(int(word.split("=")[1]) for word in done.stdout.split() if word.startswith("lines="))
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return peak_mib, seconds, lines


def serve(claims):
    started = time.perf_counter()
    period = generate(claims)
    generated = time.perf_counter() - started
    peak_mib, seconds, lines = measure(period)
    print(f"{generated:.1f} {peak_mib:.1f} {seconds:.3f} {lines}", flush=True)


def run(claims, database_url, rows):
    """run.py's side: the figures of one run at `claims` claims."""
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bordereaux", str(claims)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"bench.bordereaux failed: {done.stderr[-500:]}")
    generated, peak_mib, seconds, lines = done.stdout.split()[-4:]
    peak_mib, seconds, lines = float(peak_mib), float(seconds), int(lines)
    per_100k = seconds / (lines / 100_000) if lines else float("nan")
    rows.append(("bordereaux: claims in the month", f"{claims:,}", f"generated in {float(generated):.0f} s"))
    rows.append(("bordereaux: lines written (premium + claims)", f"{lines:,}", "CSV and XLSX each"))
    rows.append(("bordereaux: make_bordereaux wall time", f"{seconds:.0f} s", ""))
    rows.append(("bordereaux: time per 100,000 lines", f"{per_100k:.1f} s", "both files"))
    rows.append(("bordereaux_rss_mib (peak RSS of make_bordereaux)", f"{peak_mib:.0f}", "target <= 200"))
    return {"bordereaux_rss_mib": peak_mib}


if __name__ == "__main__":
    serve(int(sys.argv[1]))
