"""The merchant rates how a closed claim was handled, once (R-KPI-2)."""

from django.urls import reverse

from claims.choices import ClaimStatus as S
from claims.models import Rating


def _rate(client, claim, **data):
    return client.post(reverse("portal:rate_claim", args=[claim.claim_id]), data, follow=True)


def test_r_kpi_2_the_merchant_rates_a_closed_claim_once_and_sees_its_rating(merchant_client, world):
    claim = world.in_state(S.PAID)
    page = merchant_client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert 'name="rating"' in page
    answer = _rate(merchant_client, claim, rating="2", comment="审核太慢")
    text = answer.content.decode()
    assert "Thank you: your rating was recorded." in text
    assert 'name="rating"' not in text  # rated: the form gives way to the rating
    assert "审核太慢" in text
    again = _rate(merchant_client, claim, rating="5").content.decode()
    assert "already been rated" in again
    assert list(Rating.objects.values_list("source", "rating")) == [("merchant", 2)]


def test_r_kpi_2_an_open_claim_offers_no_rating_and_refuses_one(merchant_client, world):
    claim = world.in_state(S.AWAITING_RETURN)
    page = merchant_client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert 'name="rating"' not in page
    _rate(merchant_client, claim, rating="4")
    assert not Rating.objects.exists()


def test_r_kpi_2_a_rating_outside_1_to_5_is_refused_with_a_message(merchant_client, world):
    claim = world.in_state(S.REJECTED)
    text = _rate(merchant_client, claim, rating="9").content.decode()
    assert "Choose a rating from 1 to 5." in text
    assert not Rating.objects.exists()


def test_r_kpi_2_another_shops_claim_cannot_be_rated(merchant_client, world):
    claim = world.in_state(S.REJECTED, shop=world.other_shop)
    assert merchant_client.post(reverse("portal:rate_claim", args=[claim.claim_id]), {"rating": "3"}).status_code == 404
    assert not Rating.objects.exists()
