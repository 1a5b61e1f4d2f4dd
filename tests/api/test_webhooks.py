"""Outbound webhooks (api.md Webhooks; R-NOTE-1): signed, only in scope, retried with backoff
for 24 h from the delivery rows, never sent for a change that rolled back."""

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from claims import services as claims
from claims.choices import ClaimStatus as S
from integrations import services as integration_services
from integrations import webhooks
from integrations.models import ApiClient, WebhookAttempt, WebhookDelivery
from kernel.actors import Actor, Channel, Role
from notices.services import publish
from tests.factories import UserFactory, member

from .conftest import make_api

pytestmark = pytest.mark.django_db

CONTRACT_EVENTS = {
    "claim.status_changed",
    "claim.opened",
    "claim.decided",
    "claim.evidence_requested",
    "claim.return_address",
    "claim.tracking_reminder",
    "claim.flagged",
    "claim.refund_due",
    "claim.paid",
    "claim.closed",
    "policy.issued",
    "merchant.non_performance",
}


class Receiver:
    """A receiver's HTTP endpoint on loopback: records what arrives, answers what it is told."""

    def __init__(self):
        self.received = []
        self.answers = []  # status codes to give, in order; 200 once they run out
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def events(self, path):
        return [json.loads(body) for got, _headers, body in self.received if got == f"/{path}"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def verify(secret, header, body, tolerance=300):
    """What a receiver does: recompute the HMAC over "<t>.<body>" and compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) <= tolerance


@pytest.fixture
def listeners(world, receiver):
    """One client of each kind listening on its own path."""
    return {
        "platform": make_api("tmall", webhook_url=receiver.url("platform")),
        "insurer": make_api("ins", role="insurer", insurer_code="demo-insurer", webhook_url=receiver.url("insurer")),
        "other_insurer": make_api(
            "ins2", role="insurer", insurer_code="other-insurer", webhook_url=receiver.url("other_insurer")
        ),
        "merchant": make_api("erp-a", role="merchant", shop_id="shop-a", webhook_url=receiver.url("merchant")),
        "other_merchant": make_api(
            "erp-b", role="merchant", shop_id="shop-b", webhook_url=receiver.url("other_merchant")
        ),
    }


def test_events_reach_the_clients_in_scope_signed_with_their_secret(
    world, receiver, listeners, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = world.claim()
    with django_capture_on_commit_callbacks(execute=True):
        claims.decide(claim, "approve", world.reviewer, problem_code="no_power")

    for path, _headers, body in receiver.received:
        secret = listeners[path.strip("/")].client.webhook_secret
        assert verify(secret, _headers["Zhibao-Signature"], body), path
        assert not verify("another-secret", _headers["Zhibao-Signature"], body)
        assert set(json.loads(body)) == {"id", "type", "created_at", "data"}

    for path in ("platform", "insurer", "merchant"):
        types = [event["type"] for event in receiver.events(path)]
        assert types.count("policy.issued") == 1, path
        assert {"claim.opened", "claim.decided", "claim.return_address", "claim.status_changed"} <= set(types), path
    assert receiver.events("other_insurer") == receiver.events("other_merchant") == []

    [changed] = [e for e in receiver.events("merchant") if e["type"] == "claim.status_changed"]
    assert changed["data"] | {"refund_id": None} == {
        "claim_id": claim.claim_id,
        "refund_id": None,
        "status": "awaiting_return",
        "from": "submitted",
        "to": "awaiting_return",
    }
    assert dt.datetime.fromisoformat(changed["created_at"]).utcoffset() == dt.timedelta(hours=8)
    assert all(d.delivered_at for d in WebhookDelivery.objects.all())
    assert len({e["id"] for e in receiver.events("platform")}) == len(receiver.events("platform"))


def test_r_rev_7_an_insurer_gets_its_escalations_and_sla_flags_and_a_merchant_does_not(world, receiver, listeners):
    claim = world.claim()
    claims.process_deadlines(world.now + dt.timedelta(hours=25))
    types = lambda who: set(  # noqa: E731
        WebhookDelivery.objects.filter(client=listeners[who].client).values_list("event_type", flat=True)
    )
    assert "claim.sla_breached" in types("insurer")
    assert "claim.sla_breached" not in types("merchant")
    assert "claim.flagged" in types("insurer")
    assert "claim.flagged" not in types("merchant")  # R-REV-7: the SLA flags are the insurer's own clock
    assert claim.claim_id


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_or_kept_for_a_change_that_rolled_back(receiver):
    from tests.world import World

    world = World()
    make_api("tmall", webhook_url=receiver.url("platform"))
    claim = world.claim()
    sent_before = len(receiver.received)
    rows_before = WebhookDelivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        claims.decide(claim, "approve", world.reviewer, problem_code="no_power")
        assert WebhookDelivery.objects.count() > rows_before
        raise RuntimeError("the use case failed after publishing")
    assert WebhookDelivery.objects.count() == rows_before
    assert len(receiver.received) == sent_before
    # What did commit was sent once it committed.
    assert sent_before == rows_before > 0


def test_a_failed_delivery_is_retried_with_growing_waits_and_given_up_after_24_hours(world, receiver):
    listener = make_api("tmall", webhook_url=receiver.url("platform"))
    publish("claim.flagged", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk, data={"flag": "x"})
    delivery = WebhookDelivery.objects.get(client=listener.client)
    start = delivery.next_attempt_at
    receiver.answers = [500] * 1000

    waits, now = [], start
    webhooks.send(delivery.pk, now)
    while True:
        delivery.refresh_from_db()
        if delivery.next_attempt_at is None:
            break
        wait = delivery.next_attempt_at - now
        waits.append(wait)
        assert webhooks.send(delivery.pk, now + wait - dt.timedelta(seconds=1)) is None  # not due yet
        now += wait
        assert webhooks.send(delivery.pk, now) is not None
    assert waits[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == dt.timedelta(hours=1)
    assert delivery.failed_at is not None and delivery.delivered_at is None
    assert dt.timedelta(hours=23) <= delivery.failed_at - start <= dt.timedelta(hours=24)
    log = list(WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True))
    assert log == [500] * delivery.attempts == [500] * len(receiver.received)


def test_an_event_reported_late_is_still_retried_for_a_day_from_now(world, receiver):
    listener = make_api("tmall", webhook_url=receiver.url("platform"))
    shipped_long_ago = timezone.now() - dt.timedelta(days=3)
    publish("policy.issued", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk, at=shipped_long_ago)
    delivery = WebhookDelivery.objects.get(client=listener.client)
    receiver.answers = [500]
    webhooks.send(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "retrying"
    assert delivery.retry_until - delivery.created_at == dt.timedelta(hours=24)
    assert dt.datetime.fromisoformat(delivery.payload["created_at"]) == shipped_long_ago


def test_a_retry_that_succeeds_is_delivered_once_and_the_sweeper_sends_what_is_due(world, receiver):
    listener = make_api("tmall", webhook_url=receiver.url("platform"))
    publish("claim.flagged", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    delivery = WebhookDelivery.objects.get(client=listener.client)
    start = delivery.next_attempt_at
    receiver.answers = [503]
    assert webhooks.send_due(start) == 1
    assert webhooks.send_due(start + dt.timedelta(seconds=30)) == 0
    assert webhooks.send_due(start + dt.timedelta(seconds=61)) == 1
    assert webhooks.send_due(start + dt.timedelta(days=1)) == 0
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert [e["id"] for e in receiver.events("platform")] == [str(delivery.event_id)] * 2


def test_an_unreachable_receiver_is_an_attempt_with_its_error(world):
    listener = make_api("tmall", webhook_url="http://127.0.0.1:9/closed")
    publish("claim.flagged", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    delivery = WebhookDelivery.objects.get(client=listener.client)
    attempt = webhooks.send(delivery.pk)
    assert attempt.status_code is None and "Connection" in attempt.error
    delivery.refresh_from_db()
    assert delivery.state == "retrying"


def test_a_revoked_client_gets_nothing_more(world, receiver):
    listener = make_api("tmall", webhook_url=receiver.url("platform"))
    publish("claim.flagged", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    integration_services.revoke(ApiClient.objects.filter(pk=listener.client.pk))
    delivery = WebhookDelivery.objects.get()
    webhooks.send(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert receiver.received == []
    publish("claim.flagged", "y", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    assert WebhookDelivery.objects.count() == 1


def test_a_client_given_a_webhook_url_hears_the_very_next_event(world, receiver):
    """The subscribers are cached between events (docs/performance.md); a change to a client is
    seen by the next event."""
    listener = make_api("tmall")
    publish("claim.flagged", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    assert WebhookDelivery.objects.count() == 0

    listener.client.webhook_url = receiver.url("platform")
    listener.client.save()
    publish("claim.flagged", "y", shop_id=world.shop.pk, insurer_id=world.insurer.pk)

    assert WebhookDelivery.objects.get().client == listener.client


def test_every_event_of_the_contract_is_published_and_no_payload_carries_thresholds_or_staff(world, receiver):
    make_api("tmall", webhook_url=receiver.url("platform"))
    reviewer_user = member("wang-reviewer-7", Role.REVIEWER, insurer=world.insurer)
    reviewer = Actor.for_user(reviewer_user, Channel.ADMIN)
    now = world.now

    claim = world.claim(buyer="b1")
    claims.decide(claim, "request_evidence", reviewer, reason="请补充照片", now=now)
    approved = world.claim(buyer="b2")
    claims.decide(approved, "approve", reviewer, problem_code="no_power", now=now)
    claims.remind_buyer(approved, world.merchant, now=now)
    claims.report_buyer(world.merchant, note="可疑", claim=approved, now=now)
    paid = world.in_state(S.PAID, buyer="b3")
    disputed = world.in_state(S.RECEIPT_DISPUTED, buyer="b4")
    claims.resolve_receipt_dispute(disputed, world.staff, outcome="overturn", note="物流显示签收完整", now=now)
    claims.process_deadlines(now + dt.timedelta(hours=170))  # the unreturned approval closes (R-RET-2)

    published = set(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert CONTRACT_EVENTS <= published, CONTRACT_EVENTS - published
    assert paid.status == "paid"

    text = json.dumps(list(WebhookDelivery.objects.values_list("payload", flat=True)), ensure_ascii=False)
    for secret in (
        reviewer_user.username,
        world.staff_user.username,
        "abuse_claim_count",
        "abuse_window_days",
        "fast_lane_limit",
        "fast_lane_audit_share",
        '"user',
        "assignee",
        "buyer_level",
    ):
        assert secret not in text, secret


# -- the staff's delivery log ----------------------------------------------------------------


@pytest.fixture
def root(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    user.save()  # keep the password the factory set, or the session would not survive
    client.force_login(user)
    return client


def test_staff_see_the_delivery_log_and_can_send_an_event_again(world, receiver, root):
    listener = make_api("tmall", webhook_url=receiver.url("platform"))
    publish("claim.flagged", "x", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    delivery = WebhookDelivery.objects.get(client=listener.client)
    receiver.answers = [500]
    webhooks.send(delivery.pk)
    changelist = reverse("admin:integrations_webhookdelivery_changelist")
    assert root.get(changelist).status_code == 200
    page = root.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert b"500" in page.content

    ok = root.post(changelist, {"action": "resend", "_selected_action": [delivery.pk]}, follow=True)
    assert ok.status_code == 200
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None and delivery.failed_at is None
    assert webhooks.send_due(timezone.now()) == 1
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_staff_revoke_a_key_in_the_admin(world, root):
    api = make_api("tmall")
    assert api.get("claims").status_code == 200
    changelist = reverse("admin:integrations_apiclient_changelist")
    assert root.get(changelist).status_code == 200
    root.post(changelist, {"action": "revoke", "_selected_action": [api.client.pk]})
    assert ApiClient.objects.get(pk=api.client.pk).revoked_at is not None
    assert api.get("claims").status_code == 401


def test_staff_adding_a_webhook_url_in_the_admin_get_a_signing_secret_to_pass_on(world, root):
    api = make_api("tmall")
    assert api.client.webhook_secret == ""
    page = reverse("admin:integrations_apiclient_change", args=[api.client.pk])
    response = root.post(page, {"name": "tmall", "webhook_url": "https://tmall.example/hooks"}, follow=True)
    assert response.status_code == 200
    client = ApiClient.objects.get(pk=api.client.pk)
    assert client.webhook_url == "https://tmall.example/hooks"
    assert client.webhook_secret.startswith("whsec_")
    assert client.webhook_secret.encode() in response.content


def test_insurer_staff_never_see_clients_or_deliveries_even_with_the_permission(world, client):
    user = world.reviewer_user
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="integrations"))
    client.force_login(user)
    for name in ("apiclient", "webhookdelivery"):
        assert client.get(reverse(f"admin:integrations_{name}_changelist")).status_code == 403
