from celery import shared_task

from . import services


@shared_task(acks_late=True)
def recompute_rates():
    return len(services.recompute_rates())
