"""Storing notices for whom an event concerns (R-NOTE-1)."""

from django.utils import timezone

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
    at = at or timezone.now()
    notices = [
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
    return Notice.objects.bulk_create(notices)


def mark_read(notices, now=None):
    return notices.filter(read_at__isnull=True).update(read_at=now or timezone.now())
