"""A read replica (issue 19, item 5): reports, exports, bordereaux and the figures read from
`REPLICA_DATABASE_URL` through the router (kernel.replica), writes never. CI starts a real streaming
replica of its cluster (pg_basebackup); here its replay is paused to show what a lagging replica
does: an export misses what it has not replayed, a bordereau waits for it and then reads the primary."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections
from django.db.utils import load_backend
from django.urls import reverse

from claims.choices import ClaimStatus as S
from claims.models import Claim
from kernel import replica
from tests.world import World

from .postgres import connect, postgresql_only

pytestmark = [
    postgresql_only,
    pytest.mark.skipif(not settings.ZHIBAO_TEST_REPLICA, reason="CI sets REPLICA_DATABASE_URL to a streaming replica"),
    pytest.mark.django_db(transaction=True),
]


def standby_url():
    s = settings.ZHIBAO_TEST_REPLICA
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{connection.settings_dict['NAME']}"


@pytest.fixture
def standby(monkeypatch):
    """The replica's copy of the test database as the `replica` alias (the test runner allows no
    alias it did not set up itself, so it is given by hand), and a superuser's line to it."""
    config = connections.configure_settings(
        {"default": dict(connection.settings_dict), "replica": {**settings.ZHIBAO_TEST_REPLICA}}
    )["replica"]
    config["NAME"] = connection.settings_dict["NAME"]
    wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, replica.REPLICA)
    connections[replica.REPLICA] = wrapper
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "CATCH_UP_SECONDS", 1.0)
    with connect(standby_url(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        yield admin
        admin.execute("SELECT pg_wal_replay_resume()")
    wrapper.close()
    del connections[replica.REPLICA]


def caught_up(timeout=30):
    deadline = time.monotonic() + timeout
    while not replica.wait_for_replay(timeout=1):
        assert time.monotonic() < deadline, "the replica did not catch up"


def exported(client):
    """The claim ids of the merchant's claims export."""
    response = client.get(reverse("portal:claims"), {"format": "csv"})
    return {row.split(",")[0] for row in b"".join(response.streaming_content).decode("utf-8").splitlines()[1:]}


def test_reports_read_the_replica_writes_the_primary_and_a_lagging_replica_shows_the_past(standby, client):
    world = World()
    first = world.in_state(S.REFUND_DUE)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(world.merchant_user)
    caught_up()
    assert first.claim_id in exported(client)

    standby.execute("SELECT pg_wal_replay_pause()")
    second = world.in_state(S.REFUND_DUE)

    # The export reads the replica: the claim it has not replayed is not in it yet.
    assert first.claim_id in exported(client) and second.claim_id not in exported(client)
    # Everything else reads the primary, and writes made inside a report's block go there too.
    on_primary = Claim.objects.count()
    assert Claim.objects.filter(pk=second.pk).exists()
    with replica.reads() as alias:
        assert alias == replica.REPLICA
        assert Claim.objects.count() == on_primary - 1  # the replica's past
        assert not Claim.objects.filter(pk=second.pk).exists()
        # (a create reads nothing back: a refresh here would look for the row on the replica)
        written = User.objects.create(username="replica-check")
    assert written._state.db == "default"
    assert standby.execute("SELECT count(*) FROM auth_user WHERE username = 'replica-check'").fetchone()[0] == 0
    # A bordereau cannot be made from the past: it waits for the replica, then reads the primary.
    with replica.reads(caught_up=True) as alias:
        assert alias == "default"
        assert Claim.objects.count() == on_primary

    standby.execute("SELECT pg_wal_replay_resume()")
    caught_up()
    with replica.reads(caught_up=True) as alias:
        assert alias == replica.REPLICA and Claim.objects.count() == on_primary
    assert {first.claim_id, second.claim_id} <= exported(client)
