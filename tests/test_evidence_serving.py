"""R-EVI-1: the copies merchants and the platform's and merchants' systems get carry no EXIF (the
original stays for insurer staff), byte for byte the copy of the merchant's evidence pack
(R-AUD-2); files answer byte ranges (206, 416) in the admin, the portal and the API, as Safari on
iOS needs to play a video; the upload's answer carries `quality`."""

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse
from PIL import Image, ImageFilter

from claims import packs
from claims import services as claims
from claims.choices import Side
from tests.api.conftest import make_api
from tests.factories import mp4_upload

from .test_evidence_quality import PLACE, a_photo, exif_of, made

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def claim(world):
    claim = world.claim(with_image=False)
    picture = made(a_photo(), exif=exif_of(world.now - dt.timedelta(days=2), software="Snapseed 2.0"))
    claims.add_evidence(claim, Side.BUYER, picture, world.platform, now=world.now)
    claims.add_evidence(claim, Side.BUYER, mp4_upload(), world.platform, now=world.now)
    return claim


def photo_of(claim):
    return claim.evidence.get(kind="image")


def video_of(claim):
    return claim.evidence.get(kind="video")


def portal_url(item):
    return reverse("portal:evidence", args=[item.claim.claim_id, item.pk])


def api_path(item):
    return f"claims/{item.claim.claim_id}/evidence/{item.pk}/file"


def test_r_evi_1_insurer_staff_get_the_original_with_its_exif(world, client, claim):
    client.force_login(world.reviewer_user)
    served = body(client.get(reverse("admin:evidence", args=[photo_of(claim).pk])))
    assert PLACE in served and hashlib.sha256(served).hexdigest() == photo_of(claim).sha256


def test_r_evi_1_the_merchant_gets_the_same_picture_without_exif(world, client, claim):
    client.force_login(world.merchant_user)
    response = client.get(portal_url(photo_of(claim)))
    served = body(response)
    assert response.status_code == 200 and int(response["Content-Length"]) == len(served)
    assert PLACE not in served and b"Exif" not in served and b"Snapseed" not in served
    copy = Image.open(io.BytesIO(served))
    assert not copy.getexif() and copy.size == Image.open(photo_of(claim).file.open("rb")).size


def test_r_evi_1_the_merchants_copy_is_the_one_its_evidence_pack_lists(world, client, claim):
    client.force_login(world.merchant_user)
    served = body(client.get(portal_url(photo_of(claim))))
    archive = zipfile.ZipFile(packs.download_pack(claim, world.merchant).file)
    [entry] = [e for e in json.loads(archive.read("manifest.json"))["files"] if e.get("kind") == "image"]
    assert entry["sha256"] == hashlib.sha256(served).hexdigest()
    assert entry["original_sha256"] == photo_of(claim).sha256


@pytest.mark.parametrize("who", ["platform", "merchant"])
def test_r_evi_1_platform_and_merchant_systems_get_copies_without_exif(world, claim, who):
    api = make_api("tmall") if who == "platform" else make_api("erp", role="merchant", shop_id=world.shop.shop_id)
    served = body(api.get(api_path(photo_of(claim))))
    assert PLACE not in served and not Image.open(io.BytesIO(served)).getexif()


def test_r_evi_1_insurer_systems_get_the_original(world, claim):
    api = make_api("insurer-claims", role="insurer", insurer_code=world.insurer.code)
    assert PLACE in body(api.get(api_path(photo_of(claim))))


def test_r_evi_1_service_staff_get_the_original_as_their_pack_has_it_and_thumbnails_have_no_exif(world, client, claim):
    client.force_login(world.staff_user)
    url = reverse("admin:evidence", args=[photo_of(claim).pk])
    assert PLACE in body(client.get(url))  # R-AUD-2: service staff get the files as stored
    assert PLACE not in body(client.get(url + "?size=thumb"))


def test_r_evi_1_the_platforms_pack_holds_the_copies_it_is_served(world, claim):
    api = make_api("tmall")
    served = body(api.get(api_path(photo_of(claim))))
    pack = zipfile.ZipFile(io.BytesIO(body(api.get(f"claims/{claim.claim_id}/evidence-pack"))))
    manifest = json.loads(pack.read("manifest.json"))
    [entry] = [e for e in manifest["files"] if e.get("kind") == "image"]
    assert manifest["variant"] == "copies" and PLACE not in pack.read(entry["name"])
    assert entry["sha256"] == hashlib.sha256(served).hexdigest()
    assert entry["original_sha256"] == photo_of(claim).sha256


def test_r_evi_1_a_video_answers_safaris_two_byte_probe_with_206(world, client, claim):
    video = video_of(claim)
    whole = video.file.open("rb").read()
    client.force_login(world.reviewer_user)
    response = client.get(reverse("admin:evidence", args=[video.pk]), HTTP_RANGE="bytes=0-1")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-1/{len(whole)}" and response["Content-Length"] == "2"
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
    assert body(response) == whole[:2]


@pytest.mark.parametrize(
    ("asked", "part"),
    [("bytes=10-", slice(10, None)), ("bytes=-8", slice(-8, None)), ("bytes=4-9999", slice(4, None))],
)
def test_r_evi_1_the_portal_serves_the_range_asked_for(world, client, claim, asked, part):
    video = video_of(claim)
    whole = video.file.open("rb").read()
    client.force_login(world.merchant_user)
    response = client.get(portal_url(video), HTTP_RANGE=asked)
    assert response.status_code == 206 and body(response) == whole[part]
    start = len(whole) + part.start if part.start < 0 else part.start
    assert response["Content-Range"] == f"bytes {start}-{len(whole) - 1}/{len(whole)}"


def test_r_evi_1_a_range_past_the_end_is_416_with_the_length(world, client, claim):
    video = video_of(claim)
    client.force_login(world.merchant_user)
    response = client.get(portal_url(video), HTTP_RANGE=f"bytes={video.size}-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{video.size}"


def test_r_evi_1_a_malformed_or_multiple_range_gets_the_whole_file(world, client, claim):
    video = video_of(claim)
    client.force_login(world.reviewer_user)
    for asked in ("bytes=0-1,4-5", "items=0-1", "bytes=9-3"):
        response = client.get(reverse("admin:evidence", args=[video.pk]), HTTP_RANGE=asked)
        assert response.status_code == 200 and len(body(response)) == video.size


def test_r_evi_1_the_api_answers_ranges_of_a_merchants_copy(world, claim):
    photo = photo_of(claim)
    api = make_api("erp", role="merchant", shop_id=world.shop.shop_id)
    whole = body(api.get(api_path(photo)))
    response = api.get(api_path(photo), Range="bytes=0-1")
    assert response.status_code == 206 and response["Content-Range"] == f"bytes 0-1/{len(whole)}"
    assert body(response) == whole[:2] == b"\xff\xd8"
    assert api.get(api_path(photo), Range=f"bytes={len(whole)}-").status_code == 416


def test_r_evi_1_the_upload_answer_tells_the_platform_to_ask_for_a_retake(world):
    claim = world.claim(with_image=False)
    api = make_api("tmall")
    blurred = made(a_photo().filter(ImageFilter.GaussianBlur(6)), exif=exif_of(world.now, software="Meitu 10.1"))
    answer = api.upload(f"claims/{claim.claim_id}/evidence", blurred).json()
    quality = answer["quality"]
    assert quality["clear"] is False and quality["warnings"] == ["blurry", "edited"]
    assert quality["software"] == "Meitu 10.1"
    assert dt.datetime.fromisoformat(quality["captured_at"]) == world.now.replace(microsecond=0)
    plain = api.upload(f"claims/{claim.claim_id}/evidence", made(a_photo(3))).json()["quality"]
    assert plain == {"clear": True, "captured_at": None, "software": None, "warnings": []}


def test_r_evi_1_videos_play_inline_in_the_portal_and_the_admin(world, client, claim):
    client.force_login(world.merchant_user)
    portal = client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert f'src="{portal_url(video_of(claim))}"' in portal and "playsinline" in portal
    client.force_login(world.reviewer_user)
    admin = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "<video controls playsinline" in admin
