"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=10)
def dispatch(delivery_ids, notice_ids):
    return services.dispatch(delivery_ids, notice_ids)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=10)
def email_notices(notice_ids):
    return services.email_notices(notice_ids)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=10)
def maintain_partitions():
    return services.maintain_partitions()
