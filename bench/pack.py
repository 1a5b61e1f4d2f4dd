"""The evidence pack's memory (R-AUD-2): a claim with 18 files of about 20 MB (9 buyer photos, 9
merchant videos) is packed in a fresh process, as a web worker would answer the download, and
that process's peak RSS is the figure (target: under 150 MiB).

`python -m bench.pack CLAIM_ID` is the measured process: it builds the pack, reads it out a
chunk at a time as the response would, and prints its own peak RSS in MiB."""

import datetime as dt
import io
import os
import random
import subprocess
import sys
import time
from decimal import Decimal

import django

from .servers import peak_rss_mib

PHOTOS = MERCHANT_FILES = 9
MAX_BYTES = 20 * 1024 * 1024
TARGET_MIB = 150


def photo(seed):
    """A 12-megapixel photo of noise, compressed to just under 20 MB."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (4000, 3000), rng.randbytes(4000 * 3000 * 3))
    for quality in (92, 88, 80, 70):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    raise AssertionError("could not make a photo under 20 MB")


def video(seed):
    """An MP4 of 20 MB: its type box and one media-data box (what the upload check reads)."""
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    payload = random.Random(seed).randbytes(MAX_BYTES - len(ftyp) - 8)
    return ftyp + (len(payload) + 8).to_bytes(4, "big") + b"mdat" + payload


def claim_with_files(now):
    """A claim of the bench world through the services: refund request, buyer photos, approval,
    return shipment, merchant videos."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalogue.models import Insurer
    from claims import services as claims
    from claims.choices import Side
    from kernel.actors import Actor, Channel, Role
    from merchants.models import Shop
    from policies import services as policies

    from . import world as bench_world

    if not Insurer.objects.filter(code="bench-insurer").exists():
        bench_world.build(now)
    insurer = Insurer.objects.get(code="bench-insurer")
    shop = Shop.objects.get(shop_id=bench_world.shop_id(0))
    platform = Actor(role=Role.PLATFORM, channel=Channel.API, label="bench")
    reviewer = Actor(role=Role.REVIEWER, channel=Channel.ADMIN, insurer_id=insurer.pk, label="bench")
    merchant = Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=shop.pk, label="bench")
    sub_order_id = f"pack-so-{int(time.time())}"
    received = now - dt.timedelta(days=5)
    item = {
        "sub_order_id": sub_order_id,
        "order_id": sub_order_id,
        "shop_id": shop.shop_id,
        "buyer_id": "pack-buyer",
        "product_id": "kettle",
        "warranty_plan": bench_world.PLAN,
        "paid_amount": Decimal("199.00"),
        "placed_at": received - dt.timedelta(days=3),
    }
    policies.record_orders([item], platform)
    policies.record_order_events(
        [
            {"sub_order_id": sub_order_id, "type": "shipped", "at": received - dt.timedelta(days=2)},
            {"sub_order_id": sub_order_id, "type": "receipt_confirmed", "at": received},
        ],
        platform,
    )
    request, _created = claims.submit_refund_request(
        {
            "refund_id": f"pack-rf-{sub_order_id}",
            "sub_order_id": sub_order_id,
            "kind": "return_refund",
            "reason": "quality",
            "amount": Decimal("199.00"),
            "description": "壶底漏水",
            "requested_at": now,
            "buyer_level": "normal",
        },
        platform,
        now=now,
    )
    claim = request.claim
    for seed in range(PHOTOS):
        upload = SimpleUploadedFile(f"p{seed}.jpg", photo(seed), content_type="image/jpeg")
        claims.add_evidence(claim, Side.BUYER, upload, platform, now=now)
    claims.decide(claim, "approve", reviewer, problem_code="performance_fault", now=now)
    claim.refresh_from_db()
    claims.record_return_shipment(claim, platform, carrier="SF", tracking_number=f"SF{sub_order_id}", now=now)
    claim.refresh_from_db()
    for seed in range(MERCHANT_FILES):
        upload = SimpleUploadedFile(f"v{seed}.mp4", video(seed), content_type="video/mp4")
        claims.add_evidence(claim, Side.MERCHANT, upload, merchant, now=now)
    return claim


def run(rows):
    """The bench phase: make the claim, measure its pack in a fresh process, remove the files."""
    from django.utils import timezone

    claim = claim_with_files(timezone.now().replace(microsecond=0))
    files = list(claim.evidence.all())
    try:
        started = time.perf_counter()
        measured = subprocess.run(
            [sys.executable, "-m", "bench.pack", claim.claim_id], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - started
        peak, size = (float(value) for value in measured.stdout.split())
    finally:
        for item in files:
            item.file.storage.delete(item.file.name)
    stored = sum(item.size for item in files) / 2**20
    rows.append(
        (
            "evidence pack: peak RSS",
            f"{peak:.0f} MiB",
            f"{len(files)} files, {stored:.0f} MiB, pack {size:.0f} MiB in {seconds:.1f} s; target < {TARGET_MIB}",
        )
    )
    return {"pack_rss_mib": peak}


def measure(claim_id):
    from claims import packs
    from claims.models import Claim
    from kernel.actors import Actor, Channel, Role

    claim = Claim.objects.get(claim_id=claim_id)
    pack = packs.download_pack(claim, Actor(role=Role.SERVICE_STAFF, channel=Channel.ADMIN, label="bench"))
    with pack.file:
        while pack.file.read(64 * 1024):
            pass
    # VmHWM starts afresh at exec; ru_maxrss would carry over the bench process's own peak.
    print(f"{peak_rss_mib(os.getpid()):.1f} {pack.size / 2**20:.1f}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    measure(sys.argv[1])
