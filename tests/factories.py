"""Factories for the world the tests act in. Life cycles are driven through the services, so a
factory never puts an object in a state the rules could not reach."""

import datetime as dt
import io
import random
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

from accounts.services import bind
from catalogue.models import Insurer, Plan
from catalogue.services import give_taxonomy
from catalogue.taxonomy import STARTING_TAXONOMIES
from merchants.models import Shop


class InsurerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insurer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"insurer-{n}")
    name = factory.LazyAttribute(lambda o: f"Insurer {o.code}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: f"Plan {o.code}")

    @factory.post_generation
    def insurers(self, create, extracted, **kwargs):
        if create and extracted:
            self.insurers.add(*extracted)

    @factory.post_generation
    def taxonomy(self, create, extracted, **kwargs):
        """R-PLAN-1: a shipped plan gets its own starting rows, any other plan the appliance ones;
        `taxonomy=False` leaves the plan without codes."""
        if create and extracted is not False:
            give_taxonomy(self, extracted or (self.code if self.code in STARTING_TAXONOMIES else "appliance_30d"))


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        django_get_or_create = ("shop_id",)

    shop_id = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.LazyAttribute(lambda o: f"Shop {o.shop_id}")
    email = factory.LazyAttribute(lambda o: f"{o.shop_id}@example.com")
    return_address = "浙江省杭州市余杭区文一西路 969 号"
    return_contact = "王先生"
    return_phone = "13800000000"
    payout_account = factory.LazyAttribute(lambda o: f"alipay-{o.shop_id}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")


def member(username, role, *, insurer=None, shop=None):
    """A person with a role, put in their role's admin group as the accounts service does."""
    user = UserFactory(username=username)
    user.save()
    bind(user, role, insurer=insurer, shop=shop)
    user.refresh_from_db()
    return user


def image_upload(name="photo.jpg", colour=(200, 30, 30), size=(64, 64), fmt="JPEG", pattern=0):
    """A real image. `pattern` draws different shapes so perceptual hashes differ."""
    image = Image.new("RGB", size, colour)
    for x in range(size[0]):
        for y in range(size[1]):
            if pattern and ((x * pattern) // size[0] + (y * (pattern + 1)) // size[1]) % 2:
                image.putpixel((x, y), (255 - colour[0], 255 - colour[1], 255 - colour[2]))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def photo_upload(seed=0, *, size=(256, 256), fmt="JPEG", quality=90, name="photo.jpg"):
    """A photo-like image: a gradient with blurred shapes drawn from `seed`. Unlike `image_upload`'s
    patterns it keeps its perceptual hash when resized or re-encoded, and different seeds give
    far-apart hashes, as real photos do (R-ABUSE-1)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (256, 256))
    draw = ImageDraw.Draw(image)
    top, bottom = [rng.randrange(256) for _ in range(3)], [rng.randrange(256) for _ in range(3)]
    for y in range(256):
        draw.line([(0, y), (255, y)], fill=tuple(t + (b - t) * y // 255 for t, b in zip(top, bottom, strict=True)))
    for _ in range(6):
        x, y, w, h = rng.randrange(200), rng.randrange(200), rng.randrange(30, 120), rng.randrange(30, 120)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x, y, x + w, y + h], fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def mp4_upload(name="unboxing.mp4"):
    """A well-formed MP4 in outline: its boxes (ftyp, free, mdat) cover the file exactly."""
    body = (
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
        + b"\x00\x00\x00\x08free"
        + b"\x00\x00\x00\x48mdat"
        + b"\x00" * 64
    )
    return SimpleUploadedFile(name, body, content_type="video/mp4")


def money(value):
    return Decimal(value)


def hours(n):
    return dt.timedelta(hours=n)
