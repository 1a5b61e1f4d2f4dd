"""Hostile evidence files through every door that takes them (the service, the API, the portal):
fake types, polyglots, oversize files, decompression bombs, too many files and odd names are
refused with a clear error, and nothing is stored (R-REV-2, R-RET-3; api.md evidence files)."""

import functools
import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from claims import evidence as files
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import Evidence
from kernel.errors import DomainError
from tests.api.conftest import make_api
from tests.factories import image_upload, mp4_upload

pytestmark = pytest.mark.django_db


def encoded(fmt, size=(64, 48), mode="RGB", **options):
    buffer = io.BytesIO()
    Image.new(mode, size, 200 if mode in ("1", "L") else (200, 60, 60)).save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg():
    return image_upload(pattern=3).read()


def zip_archive():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(document.cookie)</script>")
    return buffer.getvalue()


def jpeg_claiming(width, height):
    """A real small JPEG whose frame header claims another size: a bomb by its header."""
    data = bytearray(jpeg())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def mp4_box(kind, body=b""):
    return struct.pack(">I", 8 + len(body)) + kind + body


@functools.cache
def pixel_bomb(width, height):
    """A one-bit PNG: a few kilobytes that would decode to width × height pixels."""
    return encoded("PNG", size=(width, height), mode="1")


# name, bytes, declared type, status, what the message says
HOSTILE = {
    "html named .jpg": ("photo.jpg", lambda: b"<html><script>alert(1)</script></html>", "image/jpeg", 415, "JPEG"),
    "svg with a script": (
        "photo.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        415,
        "JPEG",
    ),
    "windows program": ("photo.jpg", lambda: b"MZ\x90\x00\x03" + b"\x00" * 500, "image/jpeg", 415, "JPEG"),
    "pdf": ("photo.png", lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "image/png", 415, "JPEG"),
    "gif (a real image, not accepted)": ("photo.gif", lambda: encoded("GIF"), "image/gif", 415, "JPEG"),
    "tiff (a real image, not accepted)": ("photo.tif", lambda: encoded("TIFF"), "image/tiff", 415, "JPEG"),
    "truncated jpeg": ("photo.jpg", lambda: jpeg()[:300], "image/jpeg", 415, "JPEG"),
    "empty file": ("photo.jpg", lambda: b"", "image/jpeg", 415, "empty"),
    "jpeg + zip polyglot": ("photo.jpg", lambda: jpeg() + zip_archive(), "image/jpeg", 415, "after the end"),
    "jpeg + html polyglot": ("photo.jpg", lambda: jpeg() + b"<script>alert(1)</script>", "image/jpeg", 415, "after"),
    "png + php polyglot": (
        "photo.png",
        lambda: encoded("PNG") + b"<?php system($_GET['c']); ?>",
        "image/png",
        415,
        "after",
    ),
    "webp + html polyglot": (
        "photo.webp",
        lambda: encoded("WEBP") + b"<html><script>x()</script>",
        "image/webp",
        415,
        "after",
    ),
    "mp4 header + html": (
        "clip.mp4",
        lambda: mp4_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2") + b"<html><script>alert(1)</script></html>",
        "video/mp4",
        415,
        "MP4",
    ),
    "mp4 box running past the end": (
        "clip.mp4",
        lambda: mp4_box(b"ftyp", b"isom\x00\x00\x02\x00isom") + struct.pack(">I", 4096) + b"mdat" + b"\x00" * 64,
        "video/mp4",
        415,
        "MP4",
    ),
    "declared png, really a jpeg": ("photo.png", jpeg, "image/png", 415, "declared as image/png"),
    "over 20 MB": ("photo.jpg", lambda: jpeg() + b"\x00" * (files.MAX_BYTES), "image/jpeg", 413, "20 MB"),
    "pixel bomb, 100 megapixels": ("bomb.png", lambda: pixel_bomb(10_000, 10_000), "image/png", 413, "pixels"),
    "pixel bomb, 48 megapixels": ("bomb.png", lambda: pixel_bomb(8_000, 6_000), "image/png", 413, "pixels"),
    "jpeg header claiming 65000 x 65000": (
        "bomb.jpg",
        lambda: jpeg_claiming(65000, 65000),
        "image/jpeg",
        413,
        "pixels",
    ),
}


@pytest.fixture(autouse=True)
def _english():
    """The messages are read in English, whatever translations exist."""
    with translation.override("en"):
        yield


def english_api(name):
    api = make_api(name)
    api.http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api


def upload_of(case):
    name, content, declared, _status, _says = HOSTILE[case]
    return SimpleUploadedFile(name, content(), content_type=declared)


def stored(settings):
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def claim(world):
    """A claim waiting for the buyer's photos."""
    return world.claim(with_image=False)


@pytest.mark.parametrize("case", HOSTILE)
def test_the_service_refuses_a_hostile_file_and_stores_nothing(world, claim, settings, case):
    _name, _content, declared, status, says = HOSTILE[case]
    with pytest.raises(DomainError) as refused:
        claims.add_evidence(claim, Side.BUYER, upload_of(case), world.platform, declared_type=declared)
    assert refused.value.status == status
    assert says.lower() in refused.value.message.lower()
    assert not Evidence.objects.exists()
    assert stored(settings) == []


@pytest.mark.parametrize("case", HOSTILE)
def test_the_api_refuses_a_hostile_file_and_stores_nothing(world, claim, settings, case):
    _name, _content, _declared, status, says = HOSTILE[case]
    platform = english_api("tmall")
    response = platform.upload(f"claims/{claim.claim_id}/evidence", upload_of(case), note="")
    expected = 400 if case == "empty file" else status  # DRF refuses an empty part before the service
    assert response.status_code == expected, response.content
    error = response.json()["error"]
    assert error["message"]
    if expected == status:
        assert says.lower() in error["message"].lower()
    assert not Evidence.objects.exists()
    assert stored(settings) == []


@pytest.mark.parametrize("case", HOSTILE)
def test_the_portal_refuses_a_hostile_file_and_stores_nothing(client, world, settings, case):
    claim = world.in_state(S.AWAITING_RECEIPT)
    before = stored(settings)
    client.force_login(world.merchant_user)
    upload = upload_of(case)
    response = client.post(
        reverse("portal:reject_receipt", args=[claim.claim_id]),
        {"reason_code": "empty_parcel", "note": "空包裹", "uploads": [upload]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "was not accepted" in text or "empty" in text, text
    assert not claim.evidence.filter(side=Side.MERCHANT).exists()
    assert stored(settings) == before


def test_a_tenth_file_on_one_side_is_refused_by_every_door(world, claim, settings):
    platform = english_api("tmall")
    for n in range(files.MAX_FILES_PER_SIDE):
        claims.add_evidence(claim, Side.BUYER, image_upload(pattern=n % 7 + 1), world.platform)
    before = stored(settings)
    with pytest.raises(DomainError) as refused:
        claims.add_evidence(claim, Side.BUYER, image_upload(pattern=1), world.platform)
    assert (refused.value.status, refused.value.code) == (413, "too_many_files")
    response = platform.upload(f"claims/{claim.claim_id}/evidence", image_upload(pattern=2))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_many_files"
    assert claim.evidence.count() == files.MAX_FILES_PER_SIDE
    assert stored(settings) == before


@pytest.mark.parametrize(
    "name, kept",
    [
        ("../../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\win.ini.jpg", "win.ini.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg"),
        ("买家实拍 (1).jpg", "买家实拍 (1).jpg"),
        # Invisible characters (a right-to-left override shows "photo\u202egpj.exe" as
        # "photoexe.jpg") do not survive Django's upload parser.
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("x" * 300 + ".jpg", None),
    ],
)
def test_a_good_file_with_an_odd_name_is_stored_under_a_random_name(world, claim, settings, name, kept):
    """The name a client sends never reaches storage: only its last part is kept, as text."""
    platform = english_api("tmall")
    response = platform.upload(f"claims/{claim.claim_id}/evidence", image_upload(name=name, pattern=5))
    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert item.file.name.startswith(f"evidence/{claim.claim_id}/") and item.file.name.endswith(".jpg")
    assert len(Path(item.file.name).name) == 32 + len(".jpg")
    assert item.original_name == kept if kept else len(item.original_name) <= 200
    assert [p.name for p in stored(settings)] == [Path(item.file.name).name]


@pytest.mark.parametrize("name", ["photo\u202egpj.exe", "photo\x00.jpg", "photo\n.jpg", "photo\u200b.jpg"])
def test_a_name_with_invisible_characters_is_refused_by_the_service(world, claim, settings, name):
    """Callers other than Django's upload parser (which strips them) meet the service's own check."""
    upload = image_upload(pattern=5)
    upload.name = name
    with pytest.raises(DomainError) as refused:
        claims.add_evidence(claim, Side.BUYER, upload, world.platform)
    assert (refused.value.status, refused.value.code) == (422, "invalid_file_name")
    assert "file name" in refused.value.message
    assert not Evidence.objects.exists() and stored(settings) == []


def test_good_files_of_every_accepted_type_still_pass(world, claim):
    """The checks above refuse nothing a phone or a camera sends."""
    good = [
        image_upload(fmt="JPEG", pattern=1),
        image_upload(fmt="PNG", pattern=2),
        image_upload(fmt="WEBP", pattern=3),
        mp4_upload(),
        SimpleUploadedFile("progressive.jpg", encoded("JPEG", progressive=True), content_type="image/jpeg"),
        SimpleUploadedFile(
            "exif.jpg", encoded("JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00"), "image/jpeg"
        ),
        SimpleUploadedFile("grey.png", encoded("PNG", mode="L"), content_type="image/png"),
        SimpleUploadedFile("lossless.webp", encoded("WEBP", lossless=True), content_type="image/webp"),
    ]
    for upload in good:
        checked = files.check_file(upload, upload.content_type)
        assert checked.content_type == upload.content_type, upload.name
