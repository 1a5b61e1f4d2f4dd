"""Security headers on every kind of answer, a Content-Security-Policy without 'unsafe-inline'
or 'unsafe-eval', and no page in the admin or the portal carrying inline code it would block."""

import pytest
from django.contrib import admin
from django.urls import reverse

from claims.choices import ClaimStatus as S
from tests.factories import UserFactory

from .inline_code import blocked, policy_of

pytestmark = pytest.mark.django_db

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_secure_headers(response):
    for name, value in HEADERS.items():
        assert response.get(name) == value, (response.request["PATH_INFO"], name)
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'self'" in policy[directive]
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:"} & set(policy[directive]), directive


@pytest.mark.parametrize(
    "path, status",
    [
        ("/portal/login/", 200),
        ("/admin/login/", 200),
        ("/api/v1/claims", 401),
        ("/api/v1/nowhere", 404),
        ("/portal/nowhere/", 404),
        ("/api/schema/", 200),
    ],
)
def test_every_kind_of_answer_carries_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secure_headers(response)


def test_the_api_docs_page_may_load_swagger_and_nothing_else_inline(client):
    """The one page that needs a CDN (Swagger UI) gets it, and only it: its own script is a file."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = policy_of(response)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert blocked(response.content.decode(), policy) == []
    assert "'unsafe-inline'" not in policy_of(client.get("/portal/login/"))["script-src"]


@pytest.fixture
def superuser(world):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    user.save()
    return user


def admin_pages(world):
    """The admin's index, its own views, and every registered model's list, add and change pages."""
    claim = world.in_state(S.RECEIPT_DISPUTED)
    world.in_state(S.PAID)
    yield reverse("admin:index")
    yield reverse("admin:figures")
    for model in admin.site._registry:
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        first = model._default_manager.first()
        if first is not None:
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
    yield reverse("admin:claims_claim_change", args=[claim.pk])


def test_no_admin_page_carries_inline_code_the_policy_blocks(client, world, superuser):
    client.force_login(superuser)
    seen = 0
    for path in admin_pages(world):
        response = client.get(path)
        assert response.status_code in (200, 302, 403), (path, response.status_code)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_secure_headers(response)
            assert blocked(response.content.decode(), policy_of(response)) == [], path
            seen += 1
    assert seen > 50


def test_no_portal_page_carries_inline_code_the_policy_blocks(client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    client.force_login(world.merchant_user)
    pages = [
        reverse(f"portal:{name}")
        for name in ("home", "refunds", "claims", "policies", "ledger", "invoices", "invoice_request", "enrolment")
    ] + [
        reverse("portal:shop"),
        reverse("portal:notices"),
        reverse("portal:claim", args=[claim.claim_id]),
        reverse("portal:reject_receipt", args=[claim.claim_id]),
        reverse("portal:policy", args=[claim.policy.policy_no]),
        reverse("portal:report_claim_buyer", args=[claim.claim_id]),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response)
        assert blocked(response.content.decode(), policy_of(response)) == [], path


def test_the_inline_code_finder_sees_what_a_browser_would_block():
    policy = {
        "default-src": ["'self'"],
        "style-src": ["'self'", "'sha256-7yqHVAesot11p6HczDsgKRipvI5UPgs97z80zNXlans='"],
    }
    page = """<html><head><script src="/static/a.js"></script><script>alert(1)</script>
    <style>b{}</style><style>p{color:red}</style></head>
    <body onload="go()"><a href="javascript:go()">x</a><p style="color:red">y</p></body></html>"""
    assert blocked(page, policy) == [
        "<script>alert(1)…",
        "<style>p{color:red}…",
        "<body onload=…>",
        "<a href=javascript:…>",
        "<p style=…>",
    ]
    assert blocked(page, {**policy, "script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]}) == []
