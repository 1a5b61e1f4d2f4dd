"""/healthz and /readyz for load balancers: answered before host checks and redirects, with
the state of each dependency and nothing about why one failed."""

import pytest

from zhibao.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_is_up_whatever_the_host(client, settings):
    settings.ALLOWED_HOSTS = ["zhibao.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.0.3.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz/").status_code == 200
    assert client.get("/readyz/").status_code == 200
    assert client.get("/portal/login/").status_code == 301


def test_readyz_reports_database_broker_cache_and_storage_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok", "storage": "ok"},
    }


def test_readyz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    # A port nobody listens on: the connection is refused at once. Celery prefers the variable.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unavailable", "cache": "ok", "storage": "ok"},
    }


def test_readyz_is_503_when_the_shared_cache_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/1"}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "unavailable", "storage": "ok"}


def test_readyz_is_503_when_evidence_cannot_be_stored(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": "/dev/null/media"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"
    # Why it failed is for the log, not for whoever asked.
    assert "/dev/null" not in response.content.decode()
