"""Evidence files reach staff only through a view that checks they may see the claim."""

import io

from django.urls import reverse
from PIL import Image

from claims import services as claims
from claims.choices import Side

from ..factories import member, mp4_upload
from .helpers import claim_of_other_insurer, claim_url


def test_a_reviewer_sees_the_photo_and_its_thumbnail(world, login):
    claim = world.claim()
    evidence = claim.evidence.get()
    client = login(world.reviewer_user)
    url = reverse("admin:evidence", args=[evidence.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content) == evidence.file.open("rb").read()
    thumb = client.get(url + "?size=thumb")
    assert Image.open(io.BytesIO(thumb.content)).format == "JPEG"


def test_a_video_plays_from_the_same_view(world, login):
    claim = world.claim()
    claims.add_evidence(claim, Side.BUYER, mp4_upload(), world.platform, now=world.now)
    video = claim.evidence.get(kind="video")
    client = login(world.reviewer_user)
    assert "<video" in client.get(claim_url(claim)).content.decode()
    response = client.get(reverse("admin:evidence", args=[video.pk]))
    assert response["Content-Type"] == "video/mp4"


def test_evidence_outside_the_viewers_scope_does_not_exist_for_them(world, login):
    theirs = claim_of_other_insurer(world).evidence.get()
    assert login(world.reviewer_user).get(reverse("admin:evidence", args=[theirs.pk])).status_code == 404
    outsider = member("reviewer-x", "reviewer", insurer=world.other_insurer)
    assert login(outsider).get(reverse("admin:evidence", args=[theirs.pk])).status_code == 200


def test_merchants_and_strangers_never_reach_evidence_in_the_admin(world, client):
    evidence = world.claim().evidence.get()
    url = reverse("admin:evidence", args=[evidence.pk])
    assert client.get(url).status_code == 302
    client.force_login(world.merchant_user)
    assert client.get(url).status_code == 302


def test_the_review_page_never_links_a_public_media_url(world, login, settings):
    claim = world.claim()
    html = login(world.reviewer_user).get(claim_url(claim)).content.decode()
    assert "/" + settings.MEDIA_URL not in html and claim.evidence.get().file.name not in html
