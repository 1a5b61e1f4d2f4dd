"""R-ABUSE-1: the duplicate-photo index. Two hashes within Hamming distance 6 always share a key,
and the candidates a new photo meets do not grow with the images stored."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.evidence import DUPLICATE_DISTANCE, hamming, photo_keys, probe_keys
from claims.models import Evidence, ImageFingerprint
from claims.services.abuse import check_duplicate_image, duplicate_candidates

hashes = st.integers(min_value=0, max_value=2**64 - 1)
flips = st.sets(st.integers(min_value=0, max_value=63), max_size=DUPLICATE_DISTANCE)


def hex64(value):
    return f"{value:016x}"


@settings(max_examples=3000, deadline=None)
@given(hashes, flips)
def test_r_abuse_1_every_pair_within_the_duplicate_distance_shares_a_key(value, bits):
    other = value
    for bit in bits:
        other ^= 1 << bit
    a, b = hex64(value), hex64(other)
    assert hamming(a, b) == len(bits) <= DUPLICATE_DISTANCE
    assert set(probe_keys(a)) & set(photo_keys(b))
    assert set(probe_keys(b)) & set(photo_keys(a))


@settings(max_examples=200, deadline=None)
@given(hashes)
def test_r_abuse_1_a_photo_is_stored_under_six_keys_and_probes_a_fixed_number(value):
    assert len(set(photo_keys(hex64(value)))) == 6
    # 2 halves × (1 + 32 + 496) within 2 bits, 4 pairings × 17 × 17 within 1 bit each: whatever the number stored.
    assert len(set(probe_keys(hex64(value)))) == 2_214


def stored_image(world, phash, *, buyer):
    claim = world.claim(buyer=buyer, with_image=False)
    return Evidence.objects.create(
        claim=claim,
        side="buyer",
        kind="image",
        content_type="image/jpeg",
        file="evidence/x.jpg",
        size=1,
        phash=phash,
        uploaded_at=world.now,
    )


@pytest.mark.django_db
def test_r_abuse_1_candidates_stay_few_among_many_stored_images(world):
    """20,000 stored images (their keys), a new photo: its candidates are the near copies only."""
    rng = random.Random(19)
    anchor = stored_image(world, hex64(rng.getrandbits(64)), buyer="b-stored")
    ImageFingerprint.objects.bulk_create(
        ImageFingerprint(evidence=anchor, key=(rng.randrange(6) << 32) | rng.getrandbits(32)) for _ in range(20_000)
    )
    new_hash = rng.getrandbits(64)
    near = stored_image(world, hex64(new_hash ^ 0b111 ^ (0b111 << 40)), buyer="b-near")  # distance 6
    ImageFingerprint.objects.bulk_create(ImageFingerprint(evidence=near, key=k) for k in photo_keys(near.phash))
    item = stored_image(world, hex64(new_hash), buyer="b-new")

    with CaptureQueriesContext(connection) as queries:
        found = list(duplicate_candidates(item))

    assert near in found
    # Expected unrelated candidates: 2,214 × 20,000 / 6 / 2**32 ≈ 0.002.
    assert len(found) <= 2
    assert len(queries) == 1


@pytest.mark.django_db
def test_r_abuse_1_a_photo_six_bits_away_on_another_buyers_claim_is_flagged(world):
    first = stored_image(world, hex64(0x0123_4567_89AB_CDEF), buyer="b1")
    check_duplicate_image(first.claim, first, world.now)
    copy = stored_image(world, hex64(0x0123_4567_89AB_CDEF ^ 0x8000_0001_0000_0107), buyer="b2")
    check_duplicate_image(copy.claim, copy, world.now + dt.timedelta(minutes=1))
    far = stored_image(world, hex64(0x0123_4567_89AB_CDEF ^ 0x7F00_0000_0000_0000), buyer="b3")
    check_duplicate_image(far.claim, far, world.now + dt.timedelta(minutes=2))

    assert hamming(first.phash, copy.phash) == 6 and hamming(first.phash, far.phash) == 7
    assert set(copy.claim.flags.values_list("code", flat=True)) == {"duplicate_evidence"}
    assert copy.claim.flags.get().related_claim == first.claim
    assert not far.claim.flags.exists()
