"""Evidence uploads and downloads through the API, on local files and on S3 (moto's server):
checked from the bytes, at most 20 MB and 9 per side, random names never overwritten, and
served only to clients who may see the claim (api.md; R-REV-2, R-RET-3)."""

import io
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from claims.choices import ClaimStatus as S
from claims.evidence import MAX_BYTES
from claims.models import Evidence
from tests.factories import image_upload, mp4_upload

from .conftest import error_of

pytestmark = pytest.mark.django_db


class LocalFiles:
    def __init__(self, root):
        self.root = Path(root)

    def names(self):
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())


class S3Bucket:
    def __init__(self, client, bucket):
        self.client, self.bucket = client, bucket

    def names(self):
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture(params=["local", "s3"])
def storage(request, settings, tmp_path, monkeypatch):
    """Where evidence goes: local files, or an S3 bucket on moto's server (as in production)."""
    if request.param == "local":
        root = tmp_path / "evidence-files"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
        }
        yield LocalFiles(root)
        return
    for name, value in {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        # moto keeps its buckets per process: a bucket of its own keeps each test apart.
        bucket = f"zhibao-evidence-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "file_overwrite": False,
                    "default_acl": None,
                    "querystring_auth": True,
                },
            },
        }
        yield S3Bucket(client, bucket)
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    finally:
        server.stop()


def evidence_path(claim):
    return f"claims/{claim.claim_id}/evidence"


def test_r_rev_2_the_buyers_photo_is_stored_under_a_random_name_and_shown_on_the_claim(world, platform, storage):
    claim = world.claim(with_image=False)
    photo = image_upload(name="../../etc/passwd.jpg", pattern=2)
    response = platform.upload(evidence_path(claim), photo, note="壶底漏水处")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["side"], body["kind"], body["content_type"], body["note"]) == (
        "buyer",
        "image",
        "image/jpeg",
        "壶底漏水处",
    )
    [name] = storage.names()
    assert name.startswith(f"evidence/{claim.claim_id}/") and name.endswith(".jpg")
    assert "passwd" not in name
    shown = platform.get(f"claims/{claim.claim_id}").json()["evidence"]
    assert [item["id"] for item in shown] == [body["id"]]


def test_the_same_photo_twice_is_two_files_never_one_overwritten(world, platform, storage):
    claim = world.claim(with_image=False)
    for _ in range(2):
        assert platform.upload(evidence_path(claim), image_upload(name="same.jpg", pattern=2)).status_code == 201
    assert len(storage.names()) == 2
    assert len(set(Evidence.objects.values_list("file", flat=True))) == 2


def test_a_file_whose_bytes_are_not_an_accepted_type_is_415_and_nothing_is_stored(world, platform, storage):
    claim = world.claim(with_image=False)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is not a picture" * 10, content_type="image/jpeg")
    response = platform.upload(evidence_path(claim), fake)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    png_declared_as_jpeg = image_upload(fmt="PNG", pattern=2)
    png_declared_as_jpeg.content_type = "image/jpeg"
    assert platform.upload(evidence_path(claim), png_declared_as_jpeg).status_code == 415
    assert storage.names() == []
    assert not Evidence.objects.exists()


def test_a_file_over_20_mb_is_413_and_nothing_is_stored(world, platform, storage):
    claim = world.claim(with_image=False)
    photo = image_upload(pattern=2).read()
    big = SimpleUploadedFile("big.jpg", photo + b"\x00" * (MAX_BYTES + 1 - len(photo)), content_type="image/jpeg")
    response = platform.upload(evidence_path(claim), big)
    assert response.status_code == 413
    assert error_of(response)["code"] == "file_too_large"
    assert storage.names() == []


def test_a_tenth_file_on_one_side_is_413_and_nothing_more_is_stored(world, platform, merchant, storage):
    claim = world.in_state(S.RETURN_IN_TRANSIT)
    # The buyer's evidence belongs to the review: after approval it is refused.
    assert platform.upload(evidence_path(claim), image_upload(pattern=2)).status_code == 409
    for i in range(9):
        assert merchant.upload(evidence_path(claim), mp4_upload()).status_code == 201, i
    response = merchant.upload(evidence_path(claim), image_upload(pattern=3))
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_many_files"
    assert Evidence.objects.filter(claim=claim, side="merchant").count() == 9
    assert len(storage.names()) == 1 + 9


def test_r_ret_3_the_merchants_evidence_is_its_side_and_the_insurer_may_not_upload(
    world, merchant, insurer, other_merchant, storage
):
    claim = world.in_state(S.AWAITING_RECEIPT)
    response = merchant.upload(evidence_path(claim), image_upload(pattern=4), note="外箱破损")
    assert (response.status_code, response.json()["side"]) == (201, "merchant")
    assert insurer.upload(evidence_path(claim), image_upload(pattern=5)).status_code == 403
    assert other_merchant.upload(evidence_path(claim), image_upload(pattern=5)).status_code == 404
    assert len(storage.names()) == 2


def test_evidence_files_are_served_only_to_clients_who_may_see_the_claim(
    world, platform, insurer, merchant, other_insurer, other_merchant, storage
):
    claim = world.claim(with_image=False)
    photo = image_upload(pattern=2)
    content = photo.read()
    photo.seek(0)
    item = platform.upload(evidence_path(claim), photo).json()
    url = item["file_url"]
    for api in (platform, insurer, merchant):
        response = api.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == content
    for api in (other_insurer, other_merchant):
        response = api.get(url)
        assert response.status_code == 404
        error_of(response)
    another = world.claim(buyer="b-other")
    foreign = another.evidence.get()
    assert platform.get(f"claims/{claim.claim_id}/evidence/{foreign.pk}/file").status_code == 404
    platform.http.credentials()
    assert platform.get(url).status_code == 401


def test_a_video_alone_is_not_enough_to_approve(world, platform, insurer, storage):
    claim = world.claim(with_image=False)
    assert platform.upload(evidence_path(claim), mp4_upload()).json()["kind"] == "video"
    response = insurer.post(f"claims/{claim.claim_id}/decision", {"outcome": "approve", "problem_code": "no_power"})
    assert (response.status_code, error_of(response)["code"]) == (422, "evidence_missing")


def test_an_upload_without_a_file_is_a_400(world, platform):
    claim = world.claim(with_image=False)
    response = platform.http.post(f"/api/v1/{evidence_path(claim)}", {"note": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]
    response = platform.http.post(
        f"/api/v1/{evidence_path(claim)}", {"file": io.BytesIO(b""), "note": "x"}, format="multipart"
    )
    assert response.status_code == 400
