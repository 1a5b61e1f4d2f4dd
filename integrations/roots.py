"""R-AUD-1: the daily root, once made, goes to every insurer and platform client as `audit.root`
(`{"day", "root"}`), so that they hold a copy we could not change later."""

import datetime as dt
import uuid
from functools import partial

from django.db import transaction
from django.utils import timezone

from audit import chain
from kernel.timeutil import shanghai_date

from . import webhooks
from .models import ClientRole, WebhookDelivery

EVENT = "audit.root"
AUDIENCE = {ClientRole.INSURER, ClientRole.PLATFORM}


def publish_daily_root(day: dt.date | None = None, now: dt.datetime | None = None):
    """Make the root of `day` (yesterday in Asia/Shanghai by default) and, the first time only,
    owe it to each insurer and platform client. Running it again sends nothing twice."""
    now = now or timezone.now()
    day = day or shanghai_date(now) - dt.timedelta(days=1)
    with transaction.atomic():
        root, new = chain.make_daily_root(day, now=now)
        if not new:
            return root, []
        event_id = uuid.uuid4()
        body = {
            "id": str(event_id),
            "type": EVENT,
            "created_at": timezone.localtime(now).isoformat(),
            "data": {"day": day.isoformat(), "root": root.root},
        }
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                client=client,
                event_id=event_id,
                event_type=EVENT,
                payload=body,
                created_at=now,
                retry_until=now + webhooks.RETRY_FOR,
                next_attempt_at=now,
            )
            for client in webhooks.subscribers()
            if client.role in AUDIENCE
        )
        # A few clients once a day: sent from here once committed; the beat's send_due retries.
        transaction.on_commit(partial(webhooks.send_each, [delivery.pk for delivery in deliveries]))
    return root, deliveries
