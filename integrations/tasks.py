"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from . import idempotency, webhooks


@shared_task(acks_late=True)
def deliver_webhooks(delivery_ids):
    """The first attempt, started once the deliveries are committed; retries are send_due's."""
    for delivery_id in delivery_ids:
        webhooks.send(delivery_id)


@shared_task(acks_late=True)
def send_due_webhooks():
    return webhooks.send_due()


@shared_task(acks_late=True)
def purge_idempotency_records():
    return idempotency.purge()
