"""Who may call, and the one error shape of every refusal (api.md Conventions)."""

import io
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory, override_settings

from integrations.api.errors import handler400, handler403, handler404, handler500
from integrations.models import ApiClient, hash_key
from integrations.services import revoke

from .conftest import BASE, error_of

pytestmark = pytest.mark.django_db


# -- keys ----------------------------------------------------------------------------------


def issue(*args):
    out = io.StringIO()
    call_command("issue_api_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_issue_api_token_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(world, client):
    lines = issue("tmall-prod")
    key = lines[-1]
    assert key.startswith("zb_") and " " not in key
    stored = ApiClient.objects.get(name="tmall-prod")
    assert (stored.role, stored.key_hash) == ("platform", hash_key(key))
    assert not ApiClient.objects.filter(key_hash=key).exists()
    assert key not in {stored.key_hash, stored.key_prefix}
    response = client.get(BASE + "claims", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200


def test_issue_api_token_with_a_webhook_url_prints_the_signing_secret_before_the_key(world):
    lines = issue("shop-a-erp", "--role", "merchant", "--shop", "shop-a", "--webhook-url", "https://erp.example/hooks")
    client = ApiClient.objects.get(name="shop-a-erp")
    assert (client.role, client.shop, client.webhook_url) == ("merchant", world.shop, "https://erp.example/hooks")
    assert any(client.webhook_secret in line for line in lines[:-1])
    assert client.webhook_secret not in lines[-1]


@pytest.mark.parametrize(
    "args",
    [
        ("x", "--role", "insurer"),
        ("x", "--role", "insurer", "--insurer", "nobody"),
        ("x", "--role", "merchant", "--shop", "nowhere"),
        ("x", "--shop", "shop-a"),
        ("x", "--webhook-url", "not a url"),
    ],
)
def test_issue_api_token_refuses_a_binding_that_does_not_fit_the_role(world, args):
    with pytest.raises(CommandError):
        issue(*args)
    assert not ApiClient.objects.exists()


def test_no_token_a_bad_token_and_a_revoked_token_are_401(world, platform):
    anonymous = Client()
    for headers in ({}, {"Authorization": "Token nope"}, {"Authorization": "Token"}, {"Authorization": "Bearer x"}):
        response = anonymous.get(BASE + "claims", headers=headers)
        assert response.status_code == 401, headers
        assert error_of(response)["code"] in ("not_authenticated", "authentication_failed")
        assert response["WWW-Authenticate"] == "Token"
    assert platform.get("claims").status_code == 200
    revoke(ApiClient.objects.filter(pk=platform.client.pk))
    response = platform.get("claims")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_a_token_alone_does_not_open_the_schema_to_anything_but_reading_it(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


# -- the error shape -----------------------------------------------------------------------


def test_an_unknown_path_under_api_is_a_json_404(world, platform):
    for path in ("/api/v1/nothing", "/api/v2/claims", "/api/v1/claims/CL1/evidence/abc/file"):
        response = platform.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(world, platform):
    response = platform.get("orders")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    response = platform.http.delete(BASE + "claims")
    assert response.status_code == 405


def test_a_body_of_the_wrong_media_type_is_a_json_415(world, platform):
    claim = world.claim()
    response = platform.http.post(BASE + "orders", "sub_order_id=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    response = platform.post(f"claims/{claim.claim_id}/evidence", {"note": "json is not a file"})
    assert response.status_code == 415


def test_malformed_json_is_a_400(world, platform):
    response = platform.http.post(BASE + "orders", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed"


def test_answers_are_json_whatever_the_client_accepts(world, platform):
    response = platform.get("claims/CL404", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    error_of(response)
    response = platform.http.get(BASE + "claims", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_an_unexpected_failure_is_a_json_500_under_api_and_the_usual_page_elsewhere(world, platform):
    quiet = Client(raise_request_exception=False, headers={"Authorization": f"Token {platform.key}"})
    with mock.patch("claims.services.get_claim_for", side_effect=RuntimeError("boom")):
        response = quiet.post(BASE + "claims/CL1/delivered", {}, content_type="application/json")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "server_error"
    assert "boom" not in error["message"]

    factory = RequestFactory()
    assert handler500(factory.get("/portal/")).status_code == 500
    assert not handler500(factory.get("/portal/"))["Content-Type"].startswith("application/json")
    for handler, status in ((handler400, 400), (handler403, 403), (handler404, 404)):
        response = handler(factory.get("/api/v1/x"), None)
        assert response.status_code == status
        error_of(response)
        assert not handler(factory.get("/portal/"), None)["Content-Type"].startswith("application/json")


def test_a_request_refused_before_any_view_is_json_too(world, platform):
    quiet = Client(raise_request_exception=False, headers={"Authorization": f"Token {platform.key}"})
    response = quiet.get("/api/v1/claims", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed"


def test_a_422_names_the_rule_in_its_code_and_message(world, insurer):
    claim = world.claim(with_image=False)
    response = insurer.post(f"claims/{claim.claim_id}/decision", {"outcome": "approve", "problem_code": "no_power"})
    error = error_of(response)
    assert (response.status_code, error["code"]) == (422, "evidence_missing")
    assert "R-REV-2" in error["message"]


@override_settings(ZHIBAO_API_RATE="3/min")
def test_a_client_over_its_rate_is_throttled_with_retry_after(world, platform, merchant):
    answers = [platform.get("claims").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    response = platform.get("claims")
    error = error_of(response)
    assert error["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert merchant.get("claims").status_code == 200  # the budget is per client
