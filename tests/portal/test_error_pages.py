"""A merchant who follows a stale link gets the portal's own 404 (or 403) page: in the portal's
layout and language, with a way back, the status kept, never Django's debug or bare page. The API
keeps its JSON errors and the admin its own pages."""

import pytest
from django.http import Http404
from django.urls import reverse

from portal.errors import handler404
from tests.test_translations import chinese_default, compiled_catalogue  # noqa: F401 (fixtures)

DJANGO_BARE_404 = "The requested resource was not found on this server."


def _portal_page(response, status):
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert '<header class="top">' in html and "portal/portal.css" in html, "not in the portal's layout"
    assert DJANGO_BARE_404 not in html and "technical_404" not in html and "Traceback" not in html
    return html


def test_another_shops_claim_is_the_portals_404_page_with_a_way_back(merchant_client, world, other_merchant_user):
    claim = world.claim(shop=world.other_shop)
    html = _portal_page(merchant_client.get(reverse("portal:claim", args=[claim.claim_id])), 404)
    assert "<h1" in html and "Page not found" in html
    assert f'href="{reverse("portal:claims")}">Back to the list<' in html
    assert f'href="{reverse("portal:home")}">Portal home<' in html
    assert "Portal menu" in html and "Shop shop-a" in html  # the merchant's own shop and menu
    assert claim.claim_id not in html.replace(reverse("portal:claim", args=[claim.claim_id]), "")


def test_a_removed_policy_and_an_unknown_invoice_are_404_pages_leading_back_to_their_lists(merchant_client, world):
    html = _portal_page(merchant_client.get(reverse("portal:policy", args=["ZB-NO-SUCH-POLICY"])), 404)
    assert f'href="{reverse("portal:policies")}">Back to the list<' in html
    html = _portal_page(merchant_client.get(reverse("portal:invoice", args=["INV-GONE"])), 404)
    assert f'href="{reverse("portal:invoices")}">Back to the list<' in html


def test_evidence_of_another_shop_is_a_404_page_leading_back_to_the_claims(merchant_client, world):
    claim = world.claim(shop=world.other_shop)
    evidence = claim.evidence.first()
    html = _portal_page(merchant_client.get(reverse("portal:evidence", args=[claim.claim_id, evidence.pk])), 404)
    assert f'href="{reverse("portal:claims")}">Back to the list<' in html


def test_an_address_the_portal_does_not_have_is_its_404_page_with_the_way_home(merchant_client):
    html = _portal_page(merchant_client.get("/portal/claims/CL1/no-such-page/"), 404)
    assert "Back to the list" not in html
    assert f'href="{reverse("portal:home")}">Portal home<' in html and "Portal menu" in html


def test_signed_out_the_404_page_has_no_shop_menu(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = _portal_page(client.get("/portal/no-such-page/"), 404)
    assert "Portal menu" not in html and "Sign out" not in html
    assert f'href="{reverse("portal:home")}">Portal home<' in html


def test_the_404_page_is_chinese_by_default(client, world, chinese_default):  # noqa: F811
    client.force_login(world.merchant_user)
    claim = world.claim(shop=world.other_shop)
    html = _portal_page(client.get(reverse("portal:claim", args=[claim.claim_id])), 404)
    assert '<html lang="zh-hans"' in html
    assert "找不到该页面" in html and "返回列表" in html and "Page not found" not in html


def test_with_debug_on_a_stale_link_still_shows_the_portals_404_page(merchant_client, settings):
    """`make run` serves with DEBUG on, where Django would show its debug page instead."""
    settings.DEBUG = True
    html = _portal_page(merchant_client.get(reverse("portal:claim", args=["CL-NO-SUCH-CLAIM"])), 404)
    assert "Page not found" in html and f'href="{reverse("portal:claims")}">Back to the list<' in html


@pytest.mark.urls("tests.portal.forbidden_urls")
def test_a_refusal_in_the_portal_is_its_403_page(merchant_client):
    html = _portal_page(merchant_client.get("/portal/refuse-for-test/"), 403)
    assert "This page is not open to you" in html
    assert f'href="{reverse("portal:home")}">Portal home<' in html


def test_the_api_keeps_its_json_errors_and_the_admin_its_own_pages(client, world):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    client.force_login(world.staff_user)
    response = client.get("/admin/no-such-screen/")
    assert response.status_code == 404
    assert '<header class="top">' not in response.content.decode() and "Portal home" not in response.content.decode()


def test_a_request_refused_before_anyone_is_signed_in_still_gets_the_page(rf, db):
    """A middleware ahead of authentication may answer 404: there is no user to look at yet."""
    response = handler404(rf.get("/portal/nowhere/", HTTP_ACCEPT_LANGUAGE="en"), Http404())
    assert response.status_code == 404 and "Portal home" in response.content.decode()
