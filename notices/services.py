"""Storing notices for whom an event concerns (R-NOTE-1), and the webhook events owed to the
integration clients in scope (api.md Webhooks), in the same transaction; merchants' notices are
e-mailed once it commits."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import connections, router
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from integrations import webhooks
from integrations.models import ClientRole
from kernel import bulk, partitions
from kernel.tasks import enqueue

from .models import Audience, Notice

DEFAULT_AUDIENCES = (Audience.MERCHANT, Audience.INSURER)
# The integration clients that hear what a notice tells an audience (platform clients hear all).
HEARD_BY = {Audience.MERCHANT: ClientRole.MERCHANT, Audience.INSURER: ClientRole.INSURER}


def publish(
    event_type: str,
    message: str,
    *,
    shop_id: int | None,
    insurer_id: int | None,
    claim_id: int | None = None,
    policy_id: int | None = None,
    data: dict[str, Any] | None = None,
    audiences: Sequence[str] = DEFAULT_AUDIENCES,
    at: dt.datetime | None = None,
    stored: bool = True,
) -> list[Notice]:
    """One notice per audience. `data` must be fit for every audience named: callers never put
    screening thresholds or staff identities in it; the text is rendered from it when read
    (notices.texts). With `stored=False` the event only goes to the integration clients: a
    person already reads it in another notice of the same change (one notice per event)."""
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
        ],
        stored=stored,
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
            # Shown only if the event cannot be rendered when read (notices.texts).
            message=str(message)[:300],
            data=data or {},
            created_at=at,
        )
        for audience in audiences
    ]


def publish_many(events, *, stored=True):
    """Store many events' notices in one statement, whatever their number (bulk order events);
    each event is the list `event()` returns. Webhook deliveries are written alongside; both are
    sent only once the transaction commits."""
    notices = [notice for notices in events for notice in notices]
    if stored:
        notices = bulk.insert(Notice, notices)
    deliveries = webhooks.enqueue([_webhook_event(notices) for notices in events if notices])
    _dispatch_on_commit([delivery.pk for delivery in deliveries], _merchants_notices(notices) if stored else [])
    return notices if stored else []


def _webhook_event(notices):
    """One event's notices as the webhook outbox posts it (api.md Webhooks)."""
    first = notices[0]
    event_id = uuid.uuid4()
    return {
        "id": event_id,
        "type": first.event_type,
        "shop_id": first.shop_id,
        "insurer_id": first.insurer_id,
        "heard_by": {HEARD_BY[notice.audience] for notice in notices if notice.audience in HEARD_BY},
        "body": {
            "id": str(event_id),
            "type": first.event_type,
            "created_at": timezone.localtime(first.created_at).isoformat(),
            "data": first.data,
        },
    }


def _merchants_notices(notices):
    """R-NOTE-1: a merchant also reads its notices by e-mail."""
    return [notice.pk for notice in notices if notice.audience == Audience.MERCHANT and notice.shop_id]


def _dispatch_on_commit(delivery_ids, notice_ids):
    """Once committed, one task message per publication rather than one per channel: a broker
    round trip is a measurable share of a refund request (docs/performance.md). A large batch is
    split so that several workers share its webhooks."""
    chunks = [
        delivery_ids[start : start + webhooks.SEND_CHUNK] for start in range(0, len(delivery_ids), webhooks.SEND_CHUNK)
    ]
    for index, chunk in enumerate(chunks or [[]]):
        emails = notice_ids if index == 0 else []
        if chunk or emails:
            enqueue("notices.tasks.dispatch", chunk, emails)


def dispatch(delivery_ids, notice_ids):
    """What a publication owes once committed: the webhooks' first attempts (their retries are
    `webhooks.send_due`'s, and a second attempt at a sent one does nothing), then its e-mails handed
    to the e-mail queue, so that a slow mail server never holds up the webhooks behind them."""
    webhooks.send_each(delivery_ids)
    if notice_ids:
        enqueue("notices.tasks.email_notices", notice_ids)


def email_notices(notice_ids):
    """One e-mail per shop with its notices among `notice_ids`, to the shop's notice address.
    A shop without an address is skipped: it still reads the notices in the portal."""
    by_shop = {}
    for notice in Notice.objects.filter(pk__in=notice_ids, audience=Audience.MERCHANT).select_related("shop"):
        if notice.shop.email:
            by_shop.setdefault(notice.shop, []).append(notice)
    messages = []
    for shop, notices in by_shop.items():
        # The shop's language, not the worker's or the triggering person's: subject and body alike.
        with translation.override(shop_language(shop)):
            messages.append(_email(shop, notices))
    if messages:
        mail.get_connection().send_messages(messages)
    return len(messages)


def _email(shop, notices):
    notices.sort(key=lambda notice: (notice.created_at, notice.pk))
    subject = notices[0].text if len(notices) == 1 else _("%(count)s new notices") % {"count": len(notices)}
    lines = [f"{timezone.localtime(n.created_at):%Y-%m-%d %H:%M}  {n.text}" for n in notices]
    body = "\n".join([shop.name, "", *lines, "", _("Details are in the merchant portal.")])
    return mail.EmailMessage(f"[{_('Zhibao')}] {subject}", body, to=[shop.email])


def partitioning() -> partitions.Monthly:
    return partitions.Monthly(Notice._meta.db_table, "created_at", settings.ZHIBAO_NOTICE_RETENTION_MONTHS)


def maintain_partitions(now: dt.datetime | None = None) -> dict[str, list[str]]:
    """On PostgreSQL: the coming months' partitions of the notices and the webhook outbox made,
    the months past their retention dropped whole (kernel.partitions). Elsewhere nothing: the
    tables are not partitioned there."""
    now = now or timezone.now()
    connection = connections[router.db_for_write(Notice)]
    done: dict[str, list[str]] = {"made": [], "dropped": []}
    for spec in (partitioning(), *webhooks.partitioning()):
        made, dropped = partitions.maintain(connection, spec, now)
        done["made"] += made
        done["dropped"] += dropped
    return done


def shop_language(shop):
    """The language the shop's notices are e-mailed in (its setting, else the site's default)."""
    return shop.language or settings.LANGUAGE_CODE


def mark_read(notices, now=None):
    return notices.filter(read_at__isnull=True).update(read_at=now or timezone.now())
