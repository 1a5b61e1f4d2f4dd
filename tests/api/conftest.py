"""Integration clients of every role over a real HTTP stack (DRF's test client), on the shared
test world: `platform`, `insurer` (demo-insurer), `other_insurer`, `merchant` (shop-a) and
`other_merchant` (shop-b)."""

import json
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from integrations.services import issue_client

BASE = "/api/v1/"


class Api:
    """One integration client: its record, its key, and requests made with its token."""

    def __init__(self, client, key):
        self.client = client
        self.key = key
        self.http = APIClient()
        self.http.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def url(self, path):
        """A path under /api/v1/, an absolute path, or a full URL such as a list's `next`."""
        path = urlsplit(path)._replace(scheme="", netloc="").geturl()
        return path if path.startswith("/") else BASE + path

    def get(self, path, params=None, **headers):
        # Without params, a query string written in the path is kept.
        return self.http.get(self.url(path), params, headers=headers)

    def post(self, path, data=None, *, key=None, **kwargs):
        headers = {"Idempotency-Key": key} if key else {}
        kwargs.setdefault("format", "json")
        return self.http.post(self.url(path), data if data is not None else {}, headers=headers, **kwargs)

    def upload(self, path, upload, note="", *, key=None):
        headers = {"Idempotency-Key": key} if key else {}
        return self.http.post(self.url(path), {"file": upload, "note": note}, format="multipart", headers=headers)


def make_api(name, **kwargs):
    return Api(*issue_client(name, **kwargs))


@pytest.fixture
def platform(world):
    return make_api("tmall")


@pytest.fixture
def insurer(world):
    return make_api("demo-insurer-claims", role="insurer", insurer_code=world.insurer.code)


@pytest.fixture
def other_insurer(world):
    return make_api("other-insurer-claims", role="insurer", insurer_code=world.other_insurer.code)


@pytest.fixture
def merchant(world):
    return make_api("shop-a-erp", role="merchant", shop_id=world.shop.shop_id)


@pytest.fixture
def other_merchant(world):
    return make_api("shop-b-erp", role="merchant", shop_id=world.other_shop.shop_id)


def error_of(response):
    """The contract's error body, checked for shape on the way."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]
