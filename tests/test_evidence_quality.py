"""R-EVI-1: every image is measured for clarity and its EXIF read on arrival; an unclear, early or
edited image is marked for the reviewer (never decided on), and the upload's answer says so.
The pictures are made here with Pillow."""

import datetime as dt
import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageEnhance, ImageFilter

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from kernel.timeutil import SHANGHAI
from tests.factories import mp4_upload, photo_upload

pytestmark = pytest.mark.django_db

PLACE = b"31.2304N 121.4737E"


def made(image, name="made.jpg", exif=None):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **({"exif": exif.tobytes()} if exif is not None else {}))
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def a_photo(seed=7):
    """A photo-like picture with the fine detail (here, grain) a focused camera records."""
    smooth = np.asarray(Image.open(photo_upload(seed=seed, size=(480, 360))).convert("RGB"), dtype=np.int16)
    grain = np.random.default_rng(seed).normal(0, 14, smooth.shape[:2])[..., None]
    return Image.fromarray(np.clip(smooth + grain, 0, 255).astype(np.uint8))


def exif_of(taken, *, software="", make="Xiaomi", model="Xiaomi 14", offset=""):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model  # Make, Model
    exif[0x8298] = PLACE.decode()  # Copyright: a stand-in for the location a merchant must not get
    if software:
        exif[0x0131] = software
    detail = exif.get_ifd(0x8769)
    # DateTimeOriginal: the phone's wall clock, in Shanghai unless an offset says otherwise.
    detail[0x9003] = taken.astimezone(SHANGHAI).strftime("%Y:%m:%d %H:%M:%S")
    if offset:
        detail[0x9011] = offset  # OffsetTimeOriginal
    return exif


def upload(world, claim, picture, side=Side.BUYER):
    actor = world.platform if side == Side.BUYER else world.merchant
    return claims.add_evidence(claim, side, picture, actor, now=world.now)


def test_r_evi_1_a_clear_photo_carries_no_mark(world):
    claim = world.claim(with_image=False)
    item = upload(world, claim, made(a_photo()))
    assert item.marks == [] and item.clear
    assert item.sharpness > 5 and 40 < item.brightness < 255


def test_r_evi_1_a_blurred_photo_is_marked_blurry(world):
    claim = world.claim(with_image=False)
    item = upload(world, claim, made(a_photo().filter(ImageFilter.GaussianBlur(6))))
    assert item.marks == ["blurry"] and not item.clear


def test_r_evi_1_a_dark_photo_is_marked_too_dark(world):
    claim = world.claim(with_image=False)
    item = upload(world, claim, made(ImageEnhance.Brightness(a_photo()).enhance(0.12)))
    assert "too_dark" in item.marks and not item.clear
    assert item.brightness < 40


def test_r_evi_1_exif_capture_time_camera_and_software_are_read(world):
    claim = world.claim(with_image=False)
    taken = world.now - dt.timedelta(days=4)
    item = upload(world, claim, made(a_photo(), exif=exif_of(taken, software="MIUI V816")))
    assert item.captured_at == taken.astimezone(SHANGHAI).replace(microsecond=0)
    assert item.camera == "Xiaomi 14" and item.software == "MIUI V816"
    assert item.marks == []  # after delivery, from a phone's own firmware


def test_r_evi_1_a_photo_taken_before_the_parcel_shipped_is_marked(world):
    claim = world.claim(with_image=False)
    taken = claim.sub_order.shipped_at - dt.timedelta(hours=3)
    item = upload(world, claim, made(a_photo(), exif=exif_of(taken, offset="+08:00")))
    assert item.marks == ["captured_before_delivery"]


def test_r_evi_1_a_photo_saved_by_an_editor_is_marked_and_the_claim_is_not_decided(world):
    claim = world.claim(with_image=False)
    taken = world.now - dt.timedelta(days=2)
    upload(world, claim, made(a_photo(), exif=exif_of(taken, software="Adobe Photoshop 25.0 (Windows)")))
    item = claim.evidence.get()
    assert item.marks == ["edited"]
    claim.refresh_from_db()
    # A mark never decides: the claim waits for a reviewer as any other, with no flag raised for it.
    assert claim.status == S.SUBMITTED and not claim.flags.exists()


def test_r_evi_1_a_video_is_not_measured(world):
    claim = world.claim()
    item = upload(world, claim, mp4_upload())
    assert item.sharpness is None and item.marks == [] and item.clear


def test_r_evi_1_the_merchants_photo_before_the_return_was_delivered_is_marked(world):
    claim = world.approved()
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF100", now=world.now)
    claims.mark_delivered(claim, world.platform, now=world.now)
    claim.refresh_from_db()
    taken = world.now - dt.timedelta(hours=1)
    item = upload(world, claim, made(a_photo(), exif=exif_of(taken)), side=Side.MERCHANT)
    assert item.marks == ["captured_before_delivery"]
