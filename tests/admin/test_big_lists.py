"""Lists over a million rows (issue 7): a page counts a few pages ahead only, and its filters come
from the catalogue, never from a DISTINCT over the listed rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Insurer
from kernel.pagination import BoundedPaginator
from merchants.models import Shop

from ..factories import PlanFactory
from .bulk import claims_like


def test_a_page_counts_at_most_the_pages_ahead_and_says_there_are_more(world):
    Shop.objects.bulk_create(Shop(shop_id=f"extra-{i}", name="x") for i in range(10))  # 12 shops in all
    paginator = BoundedPaginator(Shop.objects.order_by("shop_id"), 2, near_page=1, pages_ahead=2)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 6
    assert "LIMIT 7" in queries[0]["sql"]
    assert paginator.capped
    assert (paginator.count_label, paginator.num_pages_label) == ("6+", "3+")
    assert [shop.shop_id for shop in paginator.page(3)] == ["extra-4", "extra-5"]


def test_a_page_further_on_counts_further(world):
    Shop.objects.bulk_create(Shop(shop_id=f"extra-{i}", name="x") for i in range(10))
    paginator = BoundedPaginator(Shop.objects.all(), 2, near_page=5, pages_ahead=2)
    assert (paginator.count, paginator.capped, paginator.num_pages_label) == (12, False, "6")


def test_review_queue_past_the_counted_pages_shows_a_lower_bound(world, login, settings):
    claims_like(world.claim(), 560)  # 561 open claims: more than the page asked for and 10 ahead
    response = login(world.reviewer_user).get("/admin/backoffice/queuedclaim/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "550+ review queue" in " ".join(text.split())
    # Bulk actions act on the page's claims only: "select all 550" would understate what it selects.
    assert "Select all 5" not in text and "0 of 50 selected" in text


def test_a_list_counted_in_full_still_offers_to_select_across_pages(world, login):
    claims_like(world.claim(), 60)
    text = login(world.reviewer_user).get("/admin/backoffice/queuedclaim/").content.decode()
    assert "Select all 61" in text


def test_claim_list_filters_offer_the_reviewers_plans_only(world, login):
    world.claim()
    own = PlanFactory(code="apparel_7d", insurers=[world.insurer])
    foreign = PlanFactory(code="transit_damage", insurers=[world.other_insurer])
    text = login(world.reviewer_user).get("/admin/claims/claim/").content.decode()
    assert f"plan__id__exact={world.plan.pk}" in text and f"plan__id__exact={own.pk}" in text
    assert f"plan__id__exact={foreign.pk}" not in text
    # One insurer only: the filter has nothing to choose from and is not shown.
    assert "insurer__id__exact" not in text


def test_staff_filter_claims_by_every_insurer(world, login):
    world.claim()
    text = login(world.staff_user).get("/admin/claims/claim/").content.decode()
    for insurer in Insurer.objects.all():
        assert f"insurer__id__exact={insurer.pk}" in text
