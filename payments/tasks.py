"""Celery entry points: ids in, a service call, nothing else."""

import datetime as dt

from celery import shared_task

from .services import attempts, reconciliation


@shared_task(acks_late=True)
def send_payout(attempt_id):
    return attempts.send(attempt_id)


@shared_task(acks_late=True)
def check_payout(attempt_id):
    return attempts.check(attempt_id)


@shared_task(acks_late=True)
def check_due_payouts():
    return attempts.check_due()


@shared_task(acks_late=True)
def reconcile_payouts(day=None):
    day = dt.date.fromisoformat(day) if day else reconciliation.yesterday()
    return reconciliation.reconcile_day(day).pk
