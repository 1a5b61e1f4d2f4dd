"""Storing notices for whom an event concerns (R-NOTE-1), and the webhook events owed to the
integration clients in scope (api.md Webhooks), in the same transaction."""

from django.utils import timezone

from integrations import webhooks

from .models import Audience, Notice

DEFAULT_AUDIENCES = (Audience.MERCHANT, Audience.INSURER)


def publish(
    event_type,
    message,
    *,
    shop_id,
    insurer_id,
    claim_id=None,
    policy_id=None,
    data=None,
    audiences=DEFAULT_AUDIENCES,
    at=None,
):
    """One notice per audience. `data` must be fit for every audience named: callers never put
    screening thresholds or staff identities in it."""
    return publish_many(
        [
            event(
                event_type,
                message,
                shop_id=shop_id,
                insurer_id=insurer_id,
                claim_id=claim_id,
                policy_id=policy_id,
                data=data,
                audiences=audiences,
                at=at,
            )
        ]
    )


def event(
    event_type,
    message,
    *,
    shop_id,
    insurer_id,
    claim_id=None,
    policy_id=None,
    data=None,
    audiences=DEFAULT_AUDIENCES,
    at=None,
):
    """The unsaved notices of one event, one per audience (for publish_many)."""
    at = at or timezone.now()
    return [
        Notice(
            event_type=event_type,
            audience=audience,
            shop_id=shop_id,
            insurer_id=insurer_id,
            claim_id=claim_id,
            policy_id=policy_id,
            message=str(message)[:300],
            data=data or {},
            created_at=at,
        )
        for audience in audiences
    ]


def publish_many(events):
    """Store many events' notices in one statement, whatever their number (bulk order events);
    each event is the list `event()` returns. Webhook deliveries are written alongside and sent
    only once the transaction commits."""
    notices = Notice.objects.bulk_create([notice for notices in events for notice in notices])
    webhooks.enqueue(events)
    return notices


def mark_read(notices, now=None):
    return notices.filter(read_at__isnull=True).update(read_at=now or timezone.now())
