"""api_ratio: refund requests per second under concurrent load (each a new refund that is routed and
opens a claim) against a bare DRF view behind the same token authentication on the same gunicorn,
interleaved round by round, medians compared; and the fast lane end to end."""

import datetime as dt
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import time
from functools import partial
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image, ImageDraw

from claims.models import RefundRequest

from .ingest import event_batches, run_concurrently, sub_order_id

LUA = Path(__file__).with_name("refund.lua")
CONNECTIONS = 6
FAST_LANE_SAMPLES = 40
FAST_LANE_AMOUNT = "59.00"
TARGETS = {"api_ratio": 0.35, "api_ratio_pooled": 0.30}


def percentile(values, share):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def refund_body(index, run, requested_at, level="normal", amount="150.00"):
    return {
        "refund_id": f"bench-rf-{run}-{index}",
        "sub_order_id": sub_order_id(index),
        "kind": "refund_only",
        "reason": "quality",
        "amount": amount,
        "description": "壶底漏水,无法加热",
        "requested_at": requested_at,
        "buyer_level": level,
    }


def wrk(web, path, token, first, run, requested_at, seconds):
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_TOKEN": token,
        "BENCH_FIRST": str(first),
        "BENCH_RUN": run,
        "BENCH_REQUESTED_AT": requested_at,
    }
    command = [shutil.which("wrk") or "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(LUA), web.url]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rate"] = result["requests"] / result["seconds"]
    return result


def used_up_to(run):
    """The highest sub-order index a refund run reached (wrk may send more than it counts)."""
    ids = RefundRequest.objects.filter(refund_id__startswith=f"bench-rf-{run}-").values_list("refund_id", flat=True)
    return max((int(refund_id.rsplit("-", 1)[1]) for refund_id in ids), default=-1)


def run(api, web, world, args, now, rows, pooled=None):
    """Refund requests against the bare view on `web` (a new database connection per request, the
    shipped default), and, turn about in the same rounds, on `pooled` (the same code behind
    PgBouncer with persistent connections, as production runs) when it is given."""
    count = args.orders
    receipts = event_batches(0, count, "receipt_confirmed", now - dt.timedelta(days=3))
    run_concurrently([partial(api.post, "/api/v1/order-events", body, (200,)) for body in receipts])
    requested_at = (now - dt.timedelta(hours=1)).isoformat()
    token = world["platform_key"]
    servers = {"r": web, **({"p": pooled} if pooled else {})}
    bare, routed = {key: [] for key in servers}, {key: [] for key in servers}
    next_index = 0
    for round_ in range(args.rounds):
        for key, server in servers.items():
            seconds = args.seconds
            bare[key].append(wrk(server, "/bench/bare", token, count, f"{key}bare{round_}", requested_at, seconds))
            result = wrk(server, "/api/v1/refund-requests", token, next_index, f"{key}{round_}", requested_at, seconds)
            routed[key].append(result)
            # Requests still in a worker when wrk stopped may commit a moment later: leave room.
            time.sleep(1)
            next_index = used_up_to(f"{key}{round_}") + 1 + 2 * CONNECTIONS
            if next_index + FAST_LANE_SAMPLES + 1 >= count:
                raise RuntimeError("The refund load used up the delivered sub-orders: raise --orders.")
    queries = queries_per_refund(token, next_index, requested_at)
    world["next_index"] = next_index + 1
    figures = {}
    for key, name in (("r", "api_ratio"), ("p", "api_ratio_pooled")):
        if key in servers:
            figures[name] = report(rows, name, key, bare[key], routed[key], args)
    rows.append(("api: queries per routed request", str(queries), "refund request → claim opened, answered"))
    return figures


def report(rows, name, key, bare, routed, args):
    """The rows of one server's rounds; its ratio of medians."""
    setup = "PgBouncer, persistent connections" if key == "p" else "a new connection per request"
    opened = RefundRequest.objects.filter(refund_id__startswith=f"bench-rf-{key}", business_type="warranty").count()
    sent = RefundRequest.objects.filter(refund_id__startswith=f"bench-rf-{key}").count()
    errors = sum(r["errors"] for r in routed + bare)
    bare_rate = statistics.median(r["rate"] for r in bare)
    routed_rate = statistics.median(r["rate"] for r in routed)

    def latency(results):
        p50, p99 = (statistics.median(r[field] for r in results) for field in ("p50_ms", "p99_ms"))
        return f"{p50:.0f} / {p99:.0f} ms"

    rows.append(
        (
            f"api ({setup}): refund requests/s (median)",
            f"{routed_rate:,.0f}",
            f"{args.rounds}×{args.seconds} s, {CONNECTIONS} connections; each round "
            + ", ".join(f"{r['rate']:.0f}" for r in routed)
            + f"; {opened} of {sent} routed to claims",
        )
    )
    rows.append(
        (f"api ({setup}): bare DRF view requests/s", f"{bare_rate:,.0f}", ", ".join(f"{r['rate']:.0f}" for r in bare))
    )
    target = TARGETS[name]
    rows.append((f"{name} (refunds / bare)", f"{routed_rate / bare_rate:.3f}", f"target >= {target}; errors {errors}"))
    rows.append((f"api ({setup}): refund p50 / p99", latency(routed), ""))
    rows.append((f"api ({setup}): bare p50 / p99", latency(bare), ""))
    return routed_rate / bare_rate


def queries_per_refund(token, index, requested_at):
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/refund-requests", refund_body(index, "q", requested_at), content_type="application/json"
        )
    if response.status_code != 201 or response.json()["claim"] is None:
        raise RuntimeError(f"The measured refund request was not routed: {response.content[:300]}")
    return len(queries)


def photo(seed):
    """A distinct picture per seed, so that no two claims share a perceptual hash (R-ABUSE-1)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(280), rng.randrange(200)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def fast_lane(api, receiver, world, now, rows):
    """R-REV-6 end to end: a high-level buyer's request, its first photo, the automatic approval,
    and the signed claim.decided webhook arriving at the receiver, one claim after another."""
    first, requested_at = world["next_index"], (now - dt.timedelta(hours=1)).isoformat()
    photos = [photo(seed) for seed in range(FAST_LANE_SAMPLES)]
    seconds, missing = [], []
    for k in range(FAST_LANE_SAMPLES):
        body = refund_body(first + k, "fast", requested_at, level="high", amount=FAST_LANE_AMOUNT)
        started = time.perf_counter()
        answer = api.post("/api/v1/refund-requests", json.dumps(body).encode(), expect=(201,)).json()
        claim_id = answer["claim"]["claim_id"]
        api.upload(f"/api/v1/claims/{claim_id}/evidence", photos[k], note="问题照片")
        arrived = receiver.wait_for("claim.decided", claim_id, timeout=30)
        if arrived is None:
            missing.append(claim_id)
            continue
        seconds.append(arrived - started)
    if not seconds:
        raise RuntimeError("No claim.decided webhook arrived within 30 s of its claim's photo")
    rows.append(
        (
            "fast lane p99 (request → photo → webhook)",
            f"{percentile(seconds, 0.99) * 1000:.0f} ms",
            f"{len(seconds)} claims; p50 {percentile(seconds, 0.5) * 1000:.0f} ms; "
            f"signatures verified by the receiver ({receiver.bad_signatures} bad); "
            f"{len(missing)} without a webhook in 30 s",
        )
    )
