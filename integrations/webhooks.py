"""Outbound webhooks (api.md, R-NOTE-1), the outbox: one delivery row per event and client in
scope, written in the publishing transaction and sent by a task once it commits. It knows the
clients it sends to, not the notices: notices.publish hands it the events ready to post.

The row is the retry state. A sender first claims a due row with a conditional UPDATE, so two
workers (the task started on commit and the sweeping beat task) never send the same attempt
twice; a worker that dies mid-send leaves a lease that expires and the row is due again."""

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kernel import bulk, partitions
from kernel.tasks import enqueue as enqueue_task

from .models import ApiClient, ClientRole, WebhookAttempt, WebhookDelivery

RETRY_FOR = dt.timedelta(hours=24)
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=1)
# How long a claimed attempt is left to a sender before another may try.
LEASE = dt.timedelta(minutes=2)
SEND_CHUNK = 100
SUBSCRIBERS = "webhooks:subscribers"
# The subscribers' generation: a new one each time a change to a client commits. A list read under
# an older generation is read again, so a process never goes on using a list from before a change.
GENERATION = "webhooks:subscribers-generation"
# A list kept this long at most, in case a change reached the clients' rows without their signals.
SUBSCRIBERS_FOR = 600


def partitioning() -> tuple[partitions.Monthly, ...]:
    """The outbox's tables by month on PostgreSQL, kept as long as integrators may look back."""
    keep = settings.ZHIBAO_WEBHOOK_RETENTION_MONTHS
    return (
        partitions.Monthly(WebhookDelivery._meta.db_table, "created_at", keep),
        partitions.Monthly(WebhookAttempt._meta.db_table, "at", keep),
    )


def in_scope(client, event):
    """Platform clients hear every event; an insurer's or a shop's only its own, and only when the
    event is addressed to its role (staff escalations stay out of a merchant's hands)."""
    if client.role == ClientRole.PLATFORM:
        return True
    if client.role not in event["heard_by"]:
        return False
    if client.role == ClientRole.INSURER:
        return event["insurer_id"] == client.insurer_id
    return event["shop_id"] == client.shop_id


def enqueue(events):
    """Store the deliveries owed for these events (dicts: `id`, `type`, `shop_id`, `insurer_id`,
    `heard_by`, the roles of the clients it is addressed to, and `body`, what is posted).

    Called by notices.publish inside the publishing transaction: a rollback takes the rows with
    it, and notices.publish starts their first attempts (`send`) once the rows are committed."""
    if not events:
        return []
    clients = subscribers()
    # The body carries the event's own time (a back-dated shipment's, say); the sending window
    # runs from now, so an event reported late is still retried for a full day.
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            client=client,
            event_id=event["id"],
            event_type=event["type"],
            payload=event["body"],
            created_at=now,
            retry_until=now + RETRY_FOR,
            next_attempt_at=now,
        )
        for event in events
        for client in clients
        if in_scope(client, event)
    ]
    if not deliveries:
        return []
    return bulk.insert(WebhookDelivery, deliveries)


def subscribers():
    """The clients that take webhooks. Every claim event needs them and they change a few times a
    year, so they are read once per change rather than once per event (docs/performance.md).

    No event is lost to a client just registered: its registration answers only once it committed
    and moved the generation on (`forget_subscribers`); any list read under the old generation, even
    one written after the move by a process that read the rows before the commit, is read again.
    The generation is read before the rows, so a list is never filed under a newer one than it."""
    if _changed_here():
        # This transaction changed a client: its own rows, not yet anyone else's, stay out of the cache.
        return _read_subscribers()
    found = cache.get_many([GENERATION, SUBSCRIBERS])
    generation = found.get(GENERATION) or _new_generation(only_if_missing=True)
    cached = found.get(SUBSCRIBERS)
    if cached is not None and cached[0] == generation:
        return cached[1]
    clients = _read_subscribers()
    cache.set(SUBSCRIBERS, (generation, clients), SUBSCRIBERS_FOR)
    return clients


def _read_subscribers():
    return list(ApiClient.objects.filter(active=True).exclude(webhook_url=""))


def forget_subscribers(**_signal: object) -> None:
    """Called when a client is saved, revoked or deleted: once this commits, every process reads
    the clients again (until then, this transaction reads its own rows, uncached)."""
    transaction.on_commit(_new_generation)


def _new_generation(only_if_missing: bool = False) -> str:
    token = uuid.uuid4().hex
    if not only_if_missing:
        cache.set(GENERATION, token, None)
        return token
    # Two processes finding none agree on the one added first.
    cache.add(GENERATION, token, None)
    return cache.get(GENERATION) or token


def _changed_here() -> bool:
    """Whether the current transaction changed a client and has not committed yet (a rollback drops
    the pending callbacks, and with them the answer)."""
    connection = transaction.get_connection()
    return any(callback is _new_generation for _savepoints, callback, _robust in connection.run_on_commit)


def body_bytes(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret, timestamp, body):
    """`Zhibao-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (api.md)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff(attempts):
    """1 min, 2 min, 4 min … doubling after each failed attempt, at most an hour apart."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def send_each(delivery_ids):
    """An attempt at each of these deliveries that is due: the first attempts once they are
    committed, or a staff re-send. Retries are `send_due`'s."""
    for delivery_id in delivery_ids:
        send(delivery_id)


def send(delivery_id, now=None):
    """Make one attempt at a due delivery, if no other sender holds it. Returns the attempt or None."""
    now = now or timezone.now()
    claimed = (
        WebhookDelivery.objects.due(now)
        .filter(pk=delivery_id)
        .update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        # Delivered, given up, not due yet, or another sender got there first.
        return None
    delivery = WebhookDelivery.objects.select_related("client").get(pk=delivery_id)
    client = delivery.client
    status_code, error, elapsed = None, "", 0
    if not client.active or not client.webhook_url:
        error = "The client was revoked or has no webhook URL."
    else:
        status_code, error, elapsed = _post(client, delivery.payload)
    return _record(delivery, now, status_code, error, elapsed)


def _post(client, payload):
    body = body_bytes(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Zhibao-Webhooks/1",
        "Zhibao-Signature": signature(client.webhook_secret, int(time.time()), body),
    }
    started = time.monotonic()
    try:
        response = requests.post(
            client.webhook_url,
            data=body,
            headers=headers,
            timeout=settings.ZHIBAO_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], _ms(started)
    return response.status_code, "", _ms(started)


def _ms(started):
    return int((time.monotonic() - started) * 1000)


def _record(delivery, now, status_code, error, elapsed):
    attempt = WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=status_code, error=error, duration_ms=elapsed
    )
    changes = {"last_status_code": status_code, "last_error": error}
    if status_code is not None and 200 <= status_code < 300:
        changes.update(delivered_at=now, next_attempt_at=None)
    else:
        retry_at = now + backoff(delivery.attempts)
        if retry_at > delivery.retry_until or not delivery.client.active:
            changes.update(failed_at=now, next_attempt_at=None)
        else:
            changes.update(next_attempt_at=retry_at)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    return attempt


def send_due(now=None, limit=500):
    """Send what is due (first attempts whose task was lost, and retries). Beat runs this."""
    now = now or timezone.now()
    ids = list(WebhookDelivery.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return sum(send(pk, now) is not None for pk in ids)


@transaction.atomic
def resend(deliveries, now=None):
    """Staff's re-send: the delivery is due again now and retried for another 24 h."""
    now = now or timezone.now()
    ids = list(deliveries.values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids).update(
        next_attempt_at=now, retry_until=now + RETRY_FOR, delivered_at=None, failed_at=None
    )
    enqueue_task("integrations.tasks.deliver_webhooks", ids)
    return len(ids)
