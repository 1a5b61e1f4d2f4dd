"""Internal notes (R-NOTE-2) and the buyer's rating (R-KPI-2) through the API."""

import pytest

from claims.choices import ClaimStatus as S
from claims.models import ClaimNote, Rating

from .conftest import error_of

pytestmark = pytest.mark.django_db


def test_r_note_2_an_insurer_client_notes_a_claim_and_reads_it_back(world, insurer):
    claim = world.claim()
    answer = insurer.post(f"claims/{claim.claim_id}/notes", {"text": "  电话联系买家，已补拍照片  "})
    assert answer.status_code == 201, answer.content
    assert answer.json()["text"] == "电话联系买家，已补拍照片"
    assert answer.json()["by_role"] == "insurer"
    body = insurer.get(f"claims/{claim.claim_id}").json()
    assert [note["text"] for note in body["notes"]] == ["电话联系买家，已补拍照片"]


@pytest.mark.parametrize("reader", ["platform", "merchant"])
def test_r_note_2_notes_never_reach_the_platform_or_the_merchant(world, insurer, request, reader):
    claim = world.claim()
    insurer.post(f"claims/{claim.claim_id}/notes", {"text": "内部：疑似人为损坏"})
    api = request.getfixturevalue(reader)
    detail = api.get(f"claims/{claim.claim_id}")
    assert detail.json()["notes"] == []
    assert "疑似人为损坏" not in detail.content.decode()
    listed = api.get("claims").content.decode()
    assert "疑似人为损坏" not in listed


@pytest.mark.parametrize("writer", ["platform", "merchant"])
def test_r_note_2_only_the_insurer_writes_notes_through_the_api(world, request, writer):
    claim = world.claim()
    answer = request.getfixturevalue(writer).post(f"claims/{claim.claim_id}/notes", {"text": "x"})
    assert answer.status_code == 403
    assert not ClaimNote.objects.exists()


def test_r_note_2_another_insurers_claim_is_404_and_an_empty_note_a_clear_error(world, insurer, other_insurer):
    claim = world.claim()
    assert error_of(other_insurer.post(f"claims/{claim.claim_id}/notes", {"text": "x"}))["code"] == "not_found"
    empty = insurer.post(f"claims/{claim.claim_id}/notes", {"text": "   "})
    assert empty.status_code == 400
    assert "text" in error_of(empty)["fields"]
    too_long = insurer.post(f"claims/{claim.claim_id}/notes", {"text": "长" * 2001})
    assert too_long.status_code == 400
    assert not ClaimNote.objects.exists()


def test_r_kpi_2_the_platform_reports_the_buyers_rating_once_after_the_claim_closes(world, platform):
    claim = world.in_state(S.PAID)
    answer = platform.post(f"claims/{claim.claim_id}/satisfaction", {"rating": 4, "comment": "处理很快"})
    assert answer.status_code == 201, answer.content
    assert answer.json() | {"at": None} == {
        "claim_id": claim.claim_id,
        "source": "buyer",
        "rating": 4,
        "comment": "处理很快",
        "at": None,
    }
    again = platform.post(f"claims/{claim.claim_id}/satisfaction", {"rating": 1})
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_rated"
    assert list(Rating.objects.values_list("rating", flat=True)) == [4]


def test_r_kpi_2_a_claim_still_open_cannot_be_rated(world, platform):
    claim = world.in_state(S.AWAITING_RETURN)
    answer = platform.post(f"claims/{claim.claim_id}/satisfaction", {"rating": 5})
    assert answer.status_code == 409
    assert error_of(answer)["code"] == "claim_not_closed"
    assert not Rating.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_r_kpi_2_a_rating_outside_1_to_5_is_422(world, platform, rating):
    claim = world.in_state(S.REJECTED)
    answer = platform.post(f"claims/{claim.claim_id}/satisfaction", {"rating": rating})
    assert answer.status_code == 422
    assert error_of(answer)["code"] == "rating_out_of_range"
    assert not Rating.objects.exists()


@pytest.mark.parametrize("body", [{}, {"rating": "five"}, {"rating": 4.5}])
def test_r_kpi_2_a_missing_or_non_numeric_rating_is_400(world, platform, body):
    claim = world.in_state(S.REJECTED)
    assert platform.post(f"claims/{claim.claim_id}/satisfaction", body).status_code == 400


@pytest.mark.parametrize("client", ["insurer", "merchant"])
def test_r_kpi_2_only_the_platform_reports_the_buyers_rating(world, request, client):
    claim = world.in_state(S.REJECTED)
    answer = request.getfixturevalue(client).post(f"claims/{claim.claim_id}/satisfaction", {"rating": 3})
    assert answer.status_code == 403
