"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from . import rollups, services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=20)
def pay_out(claim_id):
    return services.pay_out(claim_id)


@shared_task(acks_late=True)
def process_deadlines():
    return services.process_deadlines()


@shared_task(acks_late=True)
def fill_review_pool(insurer_id):
    return services.fill_pool(insurer_id)


@shared_task(acks_late=True)
def fill_review_pools():
    return services.fill_pools()


@shared_task(acks_late=True)
def refresh_figures():
    return rollups.refresh_figures()
