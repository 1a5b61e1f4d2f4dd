"""A merchant who follows a stale link gets the portal's own 404 (or 403) page, one who sends a form
from a page left open too long is told to reload it and send again, and a failure on our side is the
portal's own 500 page: in the portal's layout and language, with a way back, the status kept, never
Django's debug or bare page nor what failed. The API keeps its JSON errors and the admin its own
pages."""

import json
import re

import pytest
from django.http import Http404
from django.test import Client
from django.urls import resolve, reverse
from django.utils.functional import SimpleLazyObject

from claims.choices import ClaimStatus as S
from integrations.api import urls as api_urls
from integrations.services import issue_client
from policies.models import SubOrder
from portal.errors import handler404, handler500
from tests.portal.failing_urls import CRASH
from tests.test_translations import chinese_default, compiled_catalogue  # noqa: F401 (fixtures)

DJANGO_BARE_404 = "The requested resource was not found on this server."
DJANGO_CSRF_PAGE = "CSRF verification failed"
PASSWORD = "pw-for-tests-1"  # tests/factories.UserFactory's
FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _portal_page(response, status):
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert '<header class="top">' in html and "portal/portal.css" in html, "not in the portal's layout"
    assert DJANGO_BARE_404 not in html and "technical_404" not in html and "Traceback" not in html
    assert DJANGO_CSRF_PAGE not in html
    return html


def _browser(**headers):
    """A browser that sends forms with their token only, as a real one does (the test client's
    default skips the check)."""
    return Client(enforce_csrf_checks=True, headers={"Accept-Language": "en", **headers})


def _token(response):
    return FORM_TOKEN.search(response.content.decode())[1]


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


@pytest.mark.urls("tests.portal.failing_urls")
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


def test_a_form_sent_from_a_tab_left_open_past_a_new_sign_in_asks_to_reload_it_and_send_again(world):
    browser = _browser()
    browser.force_login(world.merchant_user)
    claim = world.in_state(S.AWAITING_RETURN)
    claim_page = reverse("portal:claim", args=[claim.claim_id])
    stale = _token(browser.get(claim_page))
    # The session ran out; the merchant signed in again in another tab, which renews the token.
    browser.logout()
    login = reverse("portal:login")
    signed_in = browser.post(
        login, {"username": "merchant", "password": PASSWORD, "csrfmiddlewaretoken": _token(browser.get(login))}
    )
    assert signed_in.status_code == 302

    remind = reverse("portal:remind_buyer", args=[claim.claim_id])
    html = _portal_page(browser.post(remind, {"csrfmiddlewaretoken": stale}), 403)
    assert "Your form was not sent" in html
    assert "The page was open too long or in another tab; reload it and send again." in html
    assert "This page is not open to you" not in html
    assert "Portal menu" in html and "Shop shop-a" in html
    assert f'href="{reverse("portal:claims")}">Back to the list<' in html
    claim.refresh_from_db()
    assert claim.last_reminded_at is None, "the refused form did something"

    # Reloaded, the page's form goes through.
    response = browser.post(remind, {"csrfmiddlewaretoken": _token(browser.get(claim_page))})
    assert (response.status_code, response["Location"]) == (302, claim_page)
    claim.refresh_from_db()
    assert claim.last_reminded_at is not None


def test_a_stale_sign_in_form_is_the_portals_page_without_a_shop_menu(db):
    html = _portal_page(_browser().post(reverse("portal:login"), {"username": "merchant", "password": PASSWORD}), 403)
    assert "reload it and send again" in html
    assert "Portal menu" not in html and "Sign out" not in html
    assert f'href="{reverse("portal:home")}">Portal home<' in html


def test_the_stale_form_page_is_chinese_by_default(world, chinese_default):  # noqa: F811
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.merchant_user)
    html = _portal_page(browser.post(reverse("portal:notices_read")), 403)
    assert '<html lang="zh-hans"' in html
    assert "表单未提交" in html and "请刷新页面后重新提交" in html and "reload it" not in html


def test_the_admin_keeps_djangos_csrf_page(db):
    response = _browser().post("/admin/login/", {"username": "staff", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 403 and DJANGO_CSRF_PAGE in html
    assert '<header class="top">' not in html and "reload it and send again" not in html


def test_the_api_takes_token_authenticated_posts_without_a_csrf_token(world):
    """api.md: clients authenticate with `Authorization: Token`, which no other site's page can make a
    browser send, so the API asks for no CSRF token, even from a browser signed in to the portal."""
    assert all(pattern.callback.csrf_exempt for pattern in api_urls.urlpatterns)
    _, key = issue_client("tmall")
    browser = _browser(Authorization=f"Token {key}")
    browser.force_login(world.merchant_user)
    assert browser.post(reverse("portal:notices_read")).status_code == 403  # the browser's check is on
    order = {
        "sub_order_id": "so-csrf",
        "order_id": "o-csrf",
        "shop_id": world.shop.shop_id,
        "buyer_id": "buyer-1",
        "product_id": "kettle-1",
        "warranty_plan": "appliance_30d",
        "paid_amount": "199.00",
        "placed_at": world.now.isoformat(),
    }
    response = browser.post("/api/v1/orders", order, content_type="application/json")
    assert response.status_code == 201, response.content
    assert SubOrder.objects.filter(sub_order_id="so-csrf").exists()


@pytest.mark.urls("tests.portal.failing_urls")
def test_a_failure_inside_the_portal_is_its_500_page_with_no_details_and_the_way_home(world):
    browser = Client(raise_request_exception=False, headers={"Accept-Language": "en"})
    browser.force_login(world.merchant_user)
    response = browser.get("/portal/crash-for-test/")
    html = _portal_page(response, 500)
    assert "Something went wrong" in html and "a problem on our side" in html
    assert CRASH not in html and "RuntimeError" not in html
    assert f'href="{reverse("portal:home")}">Portal home<' in html
    # Drawn without the request: nothing that needs the user, the session or a form token.
    assert "Portal menu" not in html and "Sign out" not in html and reverse("set_language") not in html


def test_the_500_page_renders_without_the_database_the_session_or_the_user(rf):
    """What failed may be any of them. No `db` fixture: any query fails the test. A crashed claim
    page still leads back to the claims."""

    def unreachable():
        raise AssertionError("the 500 page looked at the session, its messages or the user")

    path = reverse("portal:claim", args=["CL1"])
    request = rf.get(path)
    request.resolver_match = resolve(path)
    request.session = request._messages = request.user = SimpleLazyObject(unreachable)
    html = _portal_page(handler500(request), 500)
    assert f'href="{reverse("portal:claims")}">Back to the list<' in html


@pytest.mark.urls("tests.portal.failing_urls")
def test_the_500_page_is_chinese_by_default(world, chinese_default):  # noqa: F811
    browser = Client(raise_request_exception=False)
    browser.force_login(world.merchant_user)
    html = _portal_page(browser.get("/portal/crash-for-test/"), 500)
    assert '<html lang="zh-hans"' in html
    assert "出错了" in html and "工作台首页" in html and "Something went wrong" not in html


def test_a_500_outside_the_portal_is_the_apis_json_or_djangos_page(rf):
    response = handler500(rf.get("/api/v1/claims"))
    assert response.status_code == 500 and json.loads(response.content)["error"]["code"] == "server_error"
    response = handler500(rf.get("/admin/"))
    html = response.content.decode()
    assert response.status_code == 500 and "Server Error (500)" in html and '<header class="top">' not in html
