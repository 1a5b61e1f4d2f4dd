"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def make_bordereaux():
    """R-BDX-1: the monthly beat job, for the month that just closed."""
    return [bordereau.pk for bordereau in services.make_bordereaux()]
