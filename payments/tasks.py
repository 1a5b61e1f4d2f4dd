"""Celery entry points: ids in, a service call, nothing else."""

import datetime as dt

from celery import shared_task

from kernel.actors import Actor

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
def retry_refused_payouts(shop_id):
    return attempts.retry_refused_for_shop(shop_id, Actor.system("payout_account_changed"))


@shared_task(acks_late=True)
def reconcile_payouts(day=None):
    day = dt.date.fromisoformat(day) if day else reconciliation.yesterday()
    return reconciliation.reconcile_day(day).pk
