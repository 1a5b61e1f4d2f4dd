"""photo_scale and figures_scale (issue 19), in a database of their own as scale.py's sizes are:
the duplicate-photo check and the service figures at 1,000 and at 1,000,000 claims, measured turn
about by run.py.

Each size holds scale.py's claims (generated in SQL), one stored photo per claim (a random 64-bit
perceptual hash and its two keys), a premium entry per policy and a payout entry per paid claim,
decisions spread from 10 minutes to 28 hours after opening, and the figures' daily rollups built
by claims.rollups. Both sizes keep the same work in progress: the claims past the first
OPEN_CLAIMS still undecided are decided (reviewers bound what waits, not the history).

- `photo`: add_evidence of a new photo (decoded, hashed, stored, its duplicates looked up) on an
  open claim; the same photos, in the same order, at both sizes.
- `figures` / `figures_csv`: the staff's figures page for the last 30 days, and its "all" CSV."""

import io
import os
import random
import statistics
import sys
import time
from functools import partial

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from accounts.services import bind  # noqa: E402
from claims import services as claims  # noqa: E402
from claims.choices import Side  # noqa: E402
from claims.models import Claim  # noqa: E402
from claims.rollups import refresh_figures  # noqa: E402
from kernel.actors import Actor, Channel, Role  # noqa: E402
from kernel.timeutil import shanghai_date  # noqa: E402

from . import scale  # noqa: E402

OPEN_CLAIMS = 1_000
# The time to decision of claim n: tests/test_figure_rollups.py's bench_decision_hours says the same.
DECIDED = "opened_at + interval '1 second' * (600 + (id * 7919) %% 100800)"
HISTORY = [
    f"""
    UPDATE claims_claim SET decided_at = {DECIDED}, review_due_at = opened_at + interval '24 hours'
    WHERE decided_at IS NOT NULL
    """,
    f"""
    UPDATE claims_claim SET status = 'rejected', decided_at = {DECIDED}, closed_at = {DECIDED},
        review_due_at = opened_at + interval '24 hours', sla_warn_at = NULL, sla_breach_at = NULL,
        evidence_due_at = NULL
    WHERE decided_at IS NULL AND id > %(open)s
    """,
    """
    INSERT INTO claims_evidence (claim_id, side, kind, content_type, file, size, sha256, phash, note, original_name,
        uploaded_at)
    SELECT c.id, 'buyer', 'image', 'image/jpeg', 'evidence/scale/' || c.id || '.jpg', 50000, md5(c.id::text),
        substr(md5('photo' || c.id), 1, 16), '', '', c.opened_at
    FROM claims_claim c
    """,
    """
    INSERT INTO claims_imagefingerprint (evidence_id, key)
    SELECT e.id, k.key FROM claims_evidence e,
        LATERAL (SELECT ('x' || substr(e.phash, 9, 8))::bit(32)::bigint AS h0,
                        ('x' || substr(e.phash, 1, 8))::bit(32)::bigint AS h1,
                        ('x' || substr(e.phash, 13, 4))::bit(16)::bigint AS q00,
                        ('x' || substr(e.phash, 9, 4))::bit(16)::bigint AS q01,
                        ('x' || substr(e.phash, 5, 4))::bit(16)::bigint AS q10,
                        ('x' || substr(e.phash, 1, 4))::bit(16)::bigint AS q11) p,
        -- claims.evidence.photo_keys: the two halves, then the pairings of a quarter of each.
        LATERAL (VALUES (p.h0), ((1::bigint << 32) | p.h1),
            ((2::bigint << 32) | (p.q00 << 16) | p.q10), ((3::bigint << 32) | (p.q00 << 16) | p.q11),
            ((4::bigint << 32) | (p.q01 << 16) | p.q10), ((5::bigint << 32) | (p.q01 << 16) | p.q11)) k(key)
    """,
    """
    INSERT INTO ledger_entry (kind, amount, points, shop_id, insurer_id, plan_id, policy_id, payee, created_at, memo)
    SELECT 'premium_charged', p.premium, 0, p.shop_id, p.insurer_id, p.plan_id, p.id, '', p.issued_at, ''
    FROM policies_policy p
    """,
    """
    INSERT INTO ledger_entry (kind, amount, points, shop_id, insurer_id, plan_id, policy_id, claim_id, payee,
        created_at, memo)
    SELECT 'claim_paid', c.approved_amount, 0, c.shop_id, c.insurer_id, c.plan_id, c.policy_id, c.id, '', c.paid_at, ''
    FROM claims_claim c WHERE c.paid_at IS NOT NULL
    """,
]
TABLES = ("claims_claim", "claims_evidence", "claims_imagefingerprint", "ledger_entry")


def generate(world, claims_count):
    scale.generate(world, 1, claims_count + 1)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        for statement in HISTORY:
            cursor.execute(statement, {"open": OPEN_CLAIMS})
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in (*scale.TABLES, *TABLES):
            cursor.execute(f"VACUUM ANALYZE {table}")


def photo(seed):
    """A photo-like JPEG drawn from `seed` (a gradient and blurred shapes), as a phone would send."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y, w, h = rng.randrange(560), rng.randrange(400), rng.randrange(40, 240), rng.randrange(40, 200)
        draw.ellipse([x, y, x + w, y + h], fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(3)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Photos:
    """Each round, a new photo on one of the open claims through add_evidence."""

    def __init__(self):
        self.round = 0
        self.platform = Actor(role=Role.PLATFORM, channel=Channel.API, label="bench")
        self.claims = list(Claim.objects.filter(status="submitted", pk__lte=OPEN_CLAIMS).order_by("pk")[:200])

    def __call__(self):
        self.round += 1
        claim = Claim.objects.get(pk=self.claims[self.round % len(self.claims)].pk)
        upload = SimpleUploadedFile("photo.jpg", photo(self.round), content_type="image/jpeg")
        seconds, queries, _evidence = scale.timed(
            partial(claims.add_evidence, claim, Side.BUYER, upload, self.platform)
        )
        return seconds, queries


ACTIONS = {
    "photo": "upload and duplicate check",
    "figures": "figures page, 30 days",
    "figures_csv": "figures CSV (all), 30 days",
}


def compare(small, large, rounds, rows):
    """Both sizes turn about, as scale.compare does; the ratios of the medians."""
    results = {}
    for action, label in ACTIONS.items():
        times, queries = {small: [], large: []}, {small: set(), large: set()}
        for _ in range(rounds):
            for size in (small, large):
                seconds, count = size.run(action)
                times[size].append(seconds)
                queries[size].add(count)
        t_small, t_large = statistics.median(times[small]), statistics.median(times[large])
        results[action] = t_large / t_small
        equal = queries[small] == queries[large] and len(queries[small]) == 1
        counts = f"{sorted(queries[small])} / {sorted(queries[large])}"
        each = ", ".join(f"{a * 1000:.0f}/{b * 1000:.0f}" for a, b in zip(times[small], times[large], strict=True))
        rows.append(
            (
                f"{label}: {small.claims:,} / {large.claims:,} claims",
                f"{t_small * 1000:.1f} / {t_large * 1000:.1f} ms",
                f"median of {rounds}; queries {counts}" + ("" if equal else " NOT EQUAL") + f"; each round {each} ms",
            )
        )
        rows.append((f"{label}: scale", f"{t_large / t_small:.2f}", "target <= 1.5"))
    return {"photo_scale": results["photo"], "figures_scale": max(results["figures"], results["figures_csv"])}


def serve(claims_count):
    call_command("migrate", verbosity=0)
    now = timezone.now().replace(microsecond=0)
    _people, world = scale.build_world(now)
    started = time.perf_counter()
    generate(world, claims_count)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    refresh_figures()
    rolled = time.perf_counter() - started
    staff = get_user_model().objects.create_user("bench-staff")
    bind(staff, Role.SERVICE_STAFF)
    client = Client()
    client.force_login(staff)
    today = shanghai_date(now)
    page = f"/admin/figures/?start={today - timezone.timedelta(days=29)}&end={today}"
    actions = {
        "photo": Photos(),
        "figures": partial(scale.render, client, page),
        "figures_csv": partial(scale.render, client, page + "&export=all"),
    }
    for name in ("figures", "figures_csv"):
        actions[name]()  # the first render fills the caches
    print("ready", f"{generated:.1f}", f"{rolled:.1f}", flush=True)
    for line in sys.stdin:
        seconds, queries = actions[line.strip()]()
        print(f"{seconds:.6f}", queries, flush=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
