"""Issue 13 item 11: not one webhook event lost. The embedded cache is shared by the processes of
one machine, a client registered at any moment receives every event published after its
registration committed, and an API budget is counted across processes."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from rest_framework.test import APIClient

from integrations import webhooks
from integrations.models import WebhookDelivery
from integrations.services import issue_client
from notices import services as notices
from tests.reliability.workers import worker_database_url

ROOT = Path(__file__).resolve().parents[2]
HOOK = "http://127.0.0.1:9/hook"  # nothing listens: the rows owed are what is checked

# A second process of the same machine: it publishes once (and so caches the subscribers), waits
# for a line on stdin, then publishes again.
PUBLISHER = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from django.db import transaction
    from notices import services as notices

    def publish(event_type):
        with transaction.atomic():
            notices.publish(event_type, event_type, shop_id=None, insurer_id=None)

    publish("test.before")
    print("ready", flush=True)
    sys.stdin.readline()
    publish("test.after")
    print("done", flush=True)
    """
)

needs_embedded_cache = pytest.mark.skipif(
    bool(settings.CACHE_URL), reason="the embedded file cache is under test (CACHE_URL names another)"
)


def publish(event_type):
    with transaction.atomic():
        notices.publish(event_type, event_type, shop_id=None, insurer_id=None)


def test_the_embedded_default_is_a_file_cache_under_var():
    if settings.CACHE_URL:
        pytest.skip("CACHE_URL names a shared cache")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"


@needs_embedded_cache
@pytest.mark.django_db(transaction=True)
def test_a_client_registered_while_a_worker_holds_the_list_gets_the_next_event():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhibao.settings.test", "DATABASE_URL": worker_database_url()}
    worker = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        client, _key = issue_client("just-registered", webhook_url=HOOK)  # committed: autocommit
        worker.stdin.write("go\n")
        worker.stdin.flush()
        assert worker.stdout.readline().strip() == "done", worker.stderr.read()
    finally:
        worker.kill()
        worker.wait(timeout=30)
    types = set(WebhookDelivery.objects.filter(client=client).values_list("event_type", flat=True))
    assert types == {"test.after"}


@pytest.mark.django_db(transaction=True)
def test_a_list_read_before_a_registration_committed_is_not_used_after_it(monkeypatch):
    """The race a plain delete loses: a process reads the rows, the registration commits and clears
    the cache, then that process files its old list. The next event still reaches the new client."""
    registered = []
    read = webhooks._read_subscribers

    def read_then_register():
        rows = read()
        if not registered:
            registered.append(issue_client("registered-meanwhile", webhook_url=HOOK)[0])
        return rows

    monkeypatch.setattr(webhooks, "_read_subscribers", read_then_register)
    assert webhooks.subscribers() == []  # this event was published before the registration answered
    publish("test.after")
    assert WebhookDelivery.objects.filter(client=registered[0], event_type="test.after").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_registration_that_rolled_back_never_reaches_the_shared_list():
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_client("rolled-back", webhook_url=HOOK)
        assert [c.name for c in webhooks.subscribers()] == ["rolled-back"]  # its own transaction sees it
        raise RuntimeError
    assert webhooks.subscribers() == []
    publish("test.after")
    assert not WebhookDelivery.objects.exists()


@needs_embedded_cache
@pytest.mark.django_db(transaction=True)
def test_an_api_budget_is_counted_across_processes(settings, monkeypatch):
    """Two cache clients on the one folder, as two worker processes hold: the second sees what the
    first counted, so a client gets its rate once, not once per worker."""
    from integrations.authentication import ClientRateThrottle

    settings.ZHIBAO_API_RATE = "3/min"
    _client, key = issue_client("budgeted")
    other_process = caches.create_connection("default")
    assert other_process is not caches["default"]
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    statuses = []
    for index in range(4):
        # Each request through another process's cache client, in turn.
        monkeypatch.setattr(ClientRateThrottle, "cache", other_process if index % 2 else caches["default"])
        statuses.append(http.get("/api/v1/claims").status_code)
    assert statuses == [200, 200, 200, 429]
