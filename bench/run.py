"""`make bench` (through bench/run.sh): every figure of docs/performance.md, each a ratio of two
things measured side by side in this run, and a last line with the targets' figures."""

import argparse
import os
import statistics
import tempfile
import time
import traceback
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from zhibao.celery import app as celery_app  # noqa: E402

from . import bordereaux, history, ingest, load, pack, payouts, scale  # noqa: E402
from . import world as bench_world  # noqa: E402
from .servers import CeleryWorker, Gunicorn, Receiver, pooled_env  # noqa: E402

SMALL_CLAIMS = 1_000
TARGETS = {
    "ingest_ratio": (">=", 0.15),
    "api_ratio": (">=", load.TARGETS["api_ratio"]),
    "api_ratio_pooled": (">=", load.TARGETS["api_ratio_pooled"]),
    "queue_scale": ("<=", 1.5),
    "deadlines_scale": ("<=", 1.5),
    "bordereaux_rss_mib": ("<=", 200),
    "pack_rss_mib": ("<=", pack.TARGET_MIB),
    "payout_ratio": (">=", payouts.TARGET),
    "photo_scale": ("<=", 1.5),
    "figures_scale": ("<=", 1.5),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=21000, help="sub-orders through the API")
    parser.add_argument("--claims", type=int, default=1_000_000, help="claims at the large size")
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of ingest and of wrk")
    parser.add_argument("--renders", type=int, default=9, help="renders of each page at each size")
    parser.add_argument("--bordereau-claims", type=int, default=1_000_000, help="claims in the bordereaux' month")
    parser.add_argument("--payouts", type=int, default=200, help="claims paid through the payout service")
    parser.add_argument("--history-claims", type=int, default=1_000_000, help="claims and photos at the large size")
    parser.add_argument(
        "--only", default="", help="comma-separated phases: ingest,api,scale,history,bordereaux,pack,payouts"
    )
    args = parser.parse_args()
    # Each ingest round sends whole calls of 1000.
    args.orders -= args.orders % (args.rounds * ingest.BATCH)
    phases = set(filter(None, args.only.split(","))) or {
        "ingest",
        "api",
        "scale",
        "history",
        "bordereaux",
        "pack",
        "payouts",
    }
    started = time.perf_counter()
    logs = Path(tempfile.mkdtemp(prefix="zhibao-bench-"))
    results, rows = {}, []

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    if phases & {"ingest", "api"}:
        attempt("servers", rows, results, run_loads, phases, args, logs, rows, results)
    if "scale" in phases:
        attempt("scale", rows, results, run_scale, args.claims, args.renders, rows)
    if "history" in phases:
        attempt("history", rows, results, run_history, args.history_claims, args.renders, rows)
    if "bordereaux" in phases:
        attempt("bordereaux", rows, results, run_bordereaux, args.bordereau_claims, rows)
    if "pack" in phases:
        attempt("pack", rows, results, pack.run, rows)
    if "payouts" in phases:
        attempt("payouts", rows, results, payouts.run, args.payouts, args.rounds, rows)
    rows.append(("bench wall time", f"{time.perf_counter() - started:.0f} s", "logs in " + str(logs)))
    for name, (op, target) in TARGETS.items():
        if name in results:
            met = results[name] >= target if op == ">=" else results[name] <= target
            rows.append((f"target {name} {op} {target}", f"{results[name]:.2f}", "met" if met else "NOT MET"))
    print_table(rows)
    print("bench: " + " ".join(f"{name}={results[name]:.2f}" if name in results else f"{name}=n/a" for name in TARGETS))


def run_loads(phases, args, logs, rows, results):
    """The phases that load gunicorn: the ingest, the refund requests, the fast lane."""
    now = timezone.now().replace(microsecond=0)
    receiver = Receiver()
    world = bench_world.build(now, webhook_url=receiver.url)
    receiver.secret = world["webhook_secret"]
    web, pooled, worker = None, None, None
    try:
        web = Gunicorn(logs / "gunicorn.log")
        api = ingest.Api(web.url, world["platform_key"])
        attempt("ingest", rows, results, run_ingest, api, args.orders, args.rounds, now, rows)
        if "api" in phases:
            pooled = Gunicorn(logs / "gunicorn-pooled.log", env=pooled_env())
        if "api" in phases and attempt("api", rows, results, load.run, api, web, world, args, now, rows, pooled):
            # In production the workers have machines of their own; here they would take the
            # server's two cores, so the worker starts for the fast lane only, without the
            # backlog of first attempts the loads queued (their rows stay due for send_due).
            celery_app.control.purge()
            worker = CeleryWorker(logs / "worker.log")
            attempt("fast lane", rows, results, load.fast_lane, api, receiver, world, now, rows)
        rows.append(("peak RSS, web worker", f"{web.peak_rss_mib():.0f} MiB", "gunicorn sync worker, max of 3"))
        if worker:
            rows.append(("peak RSS, Celery worker", f"{worker.peak_rss_mib():.0f} MiB", "solo pool"))
    finally:
        for server in (web, pooled, worker, receiver):
            if server:
                server.stop()


def attempt(phase, rows, results, run, *args):
    """Run one phase; a phase that fails is reported in the table and the others still run, so
    that the last line always comes (its figures n/a)."""
    try:
        results.update(run(*args) or {})
        return True
    except Exception as exc:  # reported in the table, with the traceback above it
        traceback.print_exc()
        rows.append((f"{phase}: FAILED", "", f"{type(exc).__name__}: {exc}"[:200]))
        return False


def run_ingest(api, count, rounds, now, rows):
    """Round after round: a share of the sub-orders through the API, then the same rows by COPY and
    by bulk_create, so that the machine's drift falls on all three alike; medians compared."""
    share = count // rounds
    rates = {"api": [], "copy": [], "bulk": []}
    for round_ in range(rounds):
        before = ingest.max_ids()
        seconds = ingest.through_api(api, round_ * share, (round_ + 1) * share, now)
        written = ingest.written_since(before)
        rates["api"].append(share / seconds)
        rates["copy"].append(share / ingest.copy_baseline(before, f"c{round_}-"))
        rates["bulk"].append(share / ingest.bulk_create_baseline(before, f"k{round_}-"))
    api_rate, copy_rate, bulk_rate = (statistics.median(rates[name]) for name in ("api", "copy", "bulk"))

    def each(name):
        return "each round " + ", ".join(f"{rate:,.0f}" for rate in rates[name])

    per_order = ", ".join(f"{model._meta.db_table} {n / share:g}" for model, n in written.items())
    rows.append(
        ("ingest: API, sub-orders/s (median)", f"{api_rate:,.0f}", f"{rounds}×{share} sub-orders; {each('api')}")
    )
    rows.append(("ingest: COPY, sub-orders/s (median)", f"{copy_rate:,.0f}", each("copy")))
    rows.append(("ingest: bulk_create, sub-orders/s (median)", f"{bulk_rate:,.0f}", each("bulk")))
    rows.append(("ingest: rows per sub-order", "", per_order))
    rows.append(("ingest_ratio (API / COPY)", f"{api_rate / copy_rate:.3f}", "target >= 0.15"))
    rows.append(("ingest ratio API / bulk_create", f"{api_rate / bulk_rate:.3f}", "aim >= 0.8"))
    return {"ingest_ratio": api_rate / copy_rate}


def run_scale(claims, rounds, rows):
    """The scale figures run in two databases of their own (1,000 and `claims` claims), so that
    the API's rows stay out and both sizes can be measured turn about."""
    base, broker = os.environ["DATABASE_URL"].rsplit("/", 1)[0], os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0]
    sizes = []
    for index, count in enumerate((SMALL_CLAIMS, claims)):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE bench_scale_{index}")
        # Nothing consumes the tasks the timers queue there: keep them off the worker's queue.
        sizes.append(scale.Size(count, f"{base}/bench_scale_{index}", f"{broker}/{index + 1}"))
    try:
        generated = [size.ready()[0] for size in sizes]
        rows.append(("scale: claims generated in SQL", f"{claims:,}", f"{generated[1]:.0f} s; 200 shops, 5 % open"))
        return scale.compare(*sizes, rounds, rows)
    finally:
        for size in sizes:
            size.stop()


def run_history(claims, rounds, rows):
    """photo_scale and figures_scale (bench/history.py), in two databases of their own."""
    base, broker = os.environ["DATABASE_URL"].rsplit("/", 1)[0], os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0]
    sizes = []
    for index, count in enumerate((SMALL_CLAIMS, claims)):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE bench_history_{index}")
        sizes.append(scale.Size(count, f"{base}/bench_history_{index}", f"{broker}/{index + 3}", "bench.history"))
    try:
        (_small, _small_rolled), (generated, rolled) = (size.ready() for size in sizes)
        rows.append(("history: claims and photos generated in SQL", f"{claims:,}", f"{generated:.0f} s"))
        rows.append(("history: figures' rollups built from nothing", f"{rolled:.0f} s", f"{claims:,} claims"))
        return history.compare(*sizes, rounds, rows)
    finally:
        for size in sizes:
            size.stop()


def run_bordereaux(claims, rows):
    """R-BDX-1's memory and time, in a database of its own."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE DATABASE bench_bordereaux")
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return bordereaux.run(claims, f"{base}/bench_bordereaux", rows)


def print_table(rows):
    width = max(len(name) for name, _value, _note in rows)
    value_width = max(len(value) for _name, value, _note in rows)
    print()
    print(f"{'figure'.ljust(width)}  {'value'.rjust(value_width)}  note")
    print(f"{'-' * width}  {'-' * value_width}  ----")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value.rjust(value_width)}  {note}")
    print()


if __name__ == "__main__":
    main()
