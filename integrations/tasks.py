"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from . import idempotency, roots, webhooks


@shared_task(acks_late=True)
def deliver_webhooks(delivery_ids):
    """A staff re-send, started once committed."""
    webhooks.send_each(delivery_ids)


@shared_task(acks_late=True)
def send_due_webhooks():
    return webhooks.send_due()


@shared_task(acks_late=True)
def purge_idempotency_records():
    return idempotency.purge()


@shared_task(acks_late=True)
def publish_daily_root():
    """R-AUD-1: yesterday's root (Asia/Shanghai), made and sent to insurer and platform clients."""
    root, _deliveries = roots.publish_daily_root()
    return root.root
