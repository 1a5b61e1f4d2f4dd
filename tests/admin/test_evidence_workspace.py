"""R-EVI-1 on the review page: each photo's marks and EXIF facts, and a duplicate's match (the other
claim and the distance) for insurer staff only, its photo only within their own insurer's scope."""

import re

from django.urls import reverse
from PIL import ImageEnhance

from claims import services as claims
from claims.choices import Side
from tests.test_evidence_quality import a_photo, made

from .helpers import claim_of_other_insurer, claim_url


def duplicate_of(world, earlier):
    """A claim of another buyer whose photo is the one already on `earlier`."""
    claim = world.claim(buyer="buyer-later", with_image=False)
    claims.add_evidence(claim, Side.BUYER, made(a_photo(91)), world.platform, now=world.now)
    return claim


def with_the_photo(world, claim):
    claims.add_evidence(claim, Side.BUYER, made(a_photo(91)), world.platform, now=world.now)
    return claim


def test_r_evi_1_the_reviewer_sees_the_match_with_the_other_claim_and_the_distance(world, login):
    earlier = with_the_photo(world, world.claim(buyer="buyer-earlier", with_image=False))
    claim = duplicate_of(world, earlier)
    html = login(world.reviewer_user).get(claim_url(claim)).content.decode()
    assert "Hamming distance 0 of 64" in html and earlier.claim_id in html
    other_photo = earlier.evidence.get().pk
    assert f'data-match="{reverse("admin:evidence", args=[other_photo])}"' in html


def test_r_evi_1_service_staff_see_the_flag_but_no_side_by_side(world, login):
    earlier = with_the_photo(world, world.claim(buyer="buyer-earlier", with_image=False))
    claim = duplicate_of(world, earlier)
    html = login(world.staff_user).get(claim_url(claim)).content.decode()
    assert "Hamming distance" not in html and "data-match" not in html
    assert 'id="workspace"' in html  # the workspace itself serves every staff role


def test_r_evi_1_another_insurers_matching_photo_is_named_not_shown(world, login):
    theirs = with_the_photo(world, claim_of_other_insurer(world))
    claim = duplicate_of(world, theirs)
    html = login(world.reviewer_user).get(claim_url(claim)).content.decode()
    assert theirs.claim_id in html and "Hamming distance 0 of 64" in html
    assert re.search(r'data-match=""', html)
    assert "another insurer" in html


def test_r_evi_1_marks_and_exif_facts_are_beside_the_photo(world, login):
    claim = world.claim(with_image=False)
    claims.add_evidence(
        claim, Side.BUYER, made(ImageEnhance.Brightness(a_photo()).enhance(0.1)), world.platform, now=world.now
    )
    html = login(world.reviewer_user).get(claim_url(claim)).content.decode()
    assert "Too dark to judge" in html and "they never decide the claim" in html
    assert "Brightness (0–255)" in html
