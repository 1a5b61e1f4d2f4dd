"""R-AUD-2: one ZIP per claim with the PDF summary, every evidence file and manifest.json; the
merchant's variant without the buyer, the screening or EXIF; every download recorded."""

import hashlib
import io
import json
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from audit.models import PackDownload
from claims import packs
from claims import services as claims
from claims.choices import Flag, Side
from claims.feedback_services import add_note
from claims.models import ClaimFlag
from claims.packs.copies import HashingWriter, write_copy
from claims.packs.summary import summary_html

from ..api.conftest import make_api

pytestmark = pytest.mark.django_db

EXIF_PLACE = "31.2304N 121.4737E"


def photo_with_exif(name="exif.jpg"):
    image = Image.new("RGB", (64, 64), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = EXIF_PLACE  # Software: any text that must not reach the merchant
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def open_pack(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    return archive, json.loads(archive.read("manifest.json"))


@pytest.fixture
def claim(world):
    claim = world.claim(buyer="buyer-secret-77")
    claims.add_evidence(claim, Side.BUYER, photo_with_exif(), world.platform, now=world.now)
    ClaimFlag.objects.create(claim=claim, code=Flag.ABNORMAL_BUYER, raised_at=world.now, detail="3 claims in 30 days")
    ClaimFlag.objects.create(claim=claim, code=Flag.MERCHANT_REPORTED, raised_at=world.now)
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now)
    add_note(claim, world.reviewer, "买家历史可疑，留意", now=world.now)
    claim.refresh_from_db()
    return claim


def test_r_aud_2_the_pack_holds_the_summary_every_file_as_stored_and_the_manifest(world, claim):
    pack = packs.download_pack(claim, world.reviewer)
    archive, manifest = open_pack(pack.file.read())
    evidence = list(claim.evidence.order_by("uploaded_at", "id"))
    names = set(archive.namelist())
    assert {"summary.pdf", "manifest.json"} <= names
    assert archive.read("summary.pdf").startswith(b"%PDF")
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert len([e for e in files.values() if e["role"] == "evidence"]) == len(evidence) == 2
    for item in evidence:
        [entry] = [e for e in files.values() if e.get("stored_sha256") == item.sha256]
        assert archive.read(entry["name"]) == item.file.open("rb").read()
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"] == item.sha256
    assert manifest["claim"] == claim.claim_id
    assert manifest["chain"]["chain"] == f"claim:{claim.pk}" and len(manifest["chain"]["head"]) == 64
    assert pack.filename == f"{claim.claim_id}-evidence-pack.zip"


def test_r_aud_2_the_merchants_pack_has_no_buyer_no_screening_and_no_exif(world, claim):
    staff_pack = packs.download_pack(claim, world.staff)
    _archive, staff_manifest = open_pack(staff_pack.file.read())
    pack = packs.download_pack(claim, world.merchant)
    archive, manifest = open_pack(pack.file.read())
    assert manifest["variant"] == "merchant"
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"buyer-secret-77" not in everything
    assert EXIF_PLACE.encode() not in everything and b"PhoneMaker" not in everything
    originals = {e["stored_sha256"] for e in staff_manifest["files"] if e["role"] == "evidence"}
    for entry in [e for e in manifest["files"] if e["role"] == "evidence"]:
        # The copy's digest beside the original's: the two packs of one claim match file by file.
        assert entry["original_sha256"] in originals
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
        copy = Image.open(io.BytesIO(archive.read(entry["name"])))
        assert not copy.getexif()
        assert copy.size == (64, 64) or copy.size == (256, 256)
    with_exif = [e for e in manifest["files"] if e.get("original_sha256") and e["sha256"] != e["original_sha256"]]
    assert len(with_exif) == 1


def summary_of(claim, merchant):
    evidence = list(claim.evidence.order_by("uploaded_at", "id"))
    flags = [flag for flag in claim.flags.all() if not merchant or flag.code in packs.MERCHANT_FLAGS]
    files = [{"name": f"evidence/{item.pk}", "sha256": item.sha256} for item in evidence]
    head = {"chain": "claim:1", "head": "0" * 64, "length": 0, "root": None}
    return summary_html(claim, evidence, flags, files, head=head, merchant=merchant, at=claim.opened_at)


def test_r_aud_2_r_rev_7_the_merchant_summary_shows_only_the_merchants_flags_and_no_buyer(world, claim):
    staff = summary_of(claim, merchant=False)
    merchant = summary_of(claim, merchant=True)
    assert "Abnormal buyer" in staff and "Reported by merchant" in staff
    assert "Abnormal buyer" not in merchant and "Reported by merchant" in merchant
    assert "reviewer" in staff and "· reviewer" not in merchant  # staff identities stay out
    assert "bu" in staff and "buyer-secret-77" not in staff  # the buyer id masked even for staff
    assert "Buyer</th>" not in merchant
    assert "人为损坏" in merchant and "壶底漏水" in merchant  # the decision's reason, the description
    assert "买家历史可疑" in staff and "买家历史可疑" not in merchant  # R-NOTE-2


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_r_aud_2_copies_of_png_and_webp_keep_the_picture_and_lose_the_exif(fmt):
    image = Image.new("RGB", (32, 32), (10, 200, 40))
    exif = Image.Exif()
    exif[0x0131] = EXIF_PLACE
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes(), **({"lossless": True} if fmt == "WEBP" else {}))
    assert EXIF_PLACE.encode() in buffer.getvalue()
    out = io.BytesIO()
    write_copy(io.BytesIO(buffer.getvalue()), f"image/{fmt.lower()}", HashingWriter(out))
    assert EXIF_PLACE.encode() not in out.getvalue()
    copy = Image.open(io.BytesIO(out.getvalue()))
    copy.load()
    assert list(copy.convert("RGB").getdata()) == list(image.getdata())


def test_r_aud_2_every_download_is_recorded(world, claim):
    packs.download_pack(claim, world.reviewer)
    packs.download_pack(claim, world.merchant)
    rows = list(PackDownload.objects.filter(claim=claim).order_by("id"))
    assert [(row.variant, row.role, row.actor_label) for row in rows] == [
        ("full", "reviewer", "reviewer"),
        ("merchant", "merchant", "merchant"),
    ]
    assert all(len(row.manifest_sha256) == 64 and row.size > 0 for row in rows)


def test_r_aud_2_the_api_serves_the_pack_in_scope_and_404_outside(world, claim):
    insurer = make_api("ins", role="insurer", insurer_code=world.insurer.code)
    other = make_api("other", role="insurer", insurer_code=world.other_insurer.code)
    merchant = make_api("erp", role="merchant", shop_id=world.shop.shop_id)
    other_merchant = make_api("erp-b", role="merchant", shop_id=world.other_shop.shop_id)
    platform = make_api("tmall")
    path = f"claims/{claim.claim_id}/evidence-pack"
    for api in (insurer, merchant, platform):
        response = api.get(path)
        assert response.status_code == 200, api.client.name
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        _archive, manifest = open_pack(b"".join(response.streaming_content))
        # R-EVI-1: the platform's systems get copies without EXIF, as they are served the files.
        assert manifest["variant"] == {merchant: "merchant", platform: "copies"}.get(api, "full")
    for api in (other, other_merchant):
        assert api.get(path).status_code == 404
    assert PackDownload.objects.filter(claim=claim, channel="api").count() == 3


def test_r_aud_2_the_claim_page_offers_the_pack_and_the_portal_links_the_merchants(world, claim, client):
    client.force_login(world.reviewer_user)
    page = client.get(f"/admin/claims/claim/{claim.pk}/change/")
    assert b'id="evidence-pack"' in page.content and b'id="chain-status"' in page.content
    response = client.get(f"/admin/claims/claim/{claim.pk}/evidence-pack/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert open_pack(b"".join(response.streaming_content))[1]["variant"] == "full"
    other = world.claim(shop=world.other_shop, buyer="b-2")
    client.force_login(world.merchant_user)
    page = client.get(f"/portal/claims/{claim.claim_id}/")
    assert f"/portal/claims/{claim.claim_id}/evidence-pack/".encode() in page.content
    response = client.get(f"/portal/claims/{claim.claim_id}/evidence-pack/")
    assert open_pack(b"".join(response.streaming_content))[1]["variant"] == "merchant"
    assert client.get(f"/portal/claims/{other.claim_id}/evidence-pack/").status_code == 404
    assert client.get(f"/admin/claims/claim/{claim.pk}/evidence-pack/").status_code == 302  # not in the admin
    assert [row.channel for row in PackDownload.objects.filter(claim=claim)] == ["portal", "admin"]


def mp4(megabytes, seed):
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    payload = bytes([seed]) * (megabytes * 2**20)
    return SimpleUploadedFile(
        f"v{seed}.mp4", ftyp + (len(payload) + 8).to_bytes(4, "big") + b"mdat" + payload, "video/mp4"
    )


def peak_while_packing(claim):
    tracemalloc.start()
    try:
        pack = packs.build_pack(claim, packs.Variant.MERCHANT)
        return pack.size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pack.file.close()


def test_r_aud_2_the_pack_is_streamed_memory_does_not_grow_with_the_files(world):
    claim = world.claim()
    packs.build_pack(claim, packs.Variant.FULL).file.close()  # fonts and templates loaded once
    _size, small = peak_while_packing(claim)
    for seed in range(3):
        claims.add_evidence(claim, Side.BUYER, mp4(8, seed), world.platform, now=world.now)
    size, large = peak_while_packing(claim)
    assert size > 24 * 2**20
    # 24 MiB more evidence, and not even one of its files more memory (the PDF's font dominates).
    assert large - small < 2**20, f"{(large - small) / 2**20:.1f} MiB more held for 24 MiB more evidence"
