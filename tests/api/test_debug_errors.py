"""Under /api/ every error is the contract's JSON shape, also with DEBUG on as under `make run`."""

import pytest
from django.test import override_settings


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_unmatched_api_url_answers_json_even_in_debug(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_pages_outside_the_api_keep_django_debug_pages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
