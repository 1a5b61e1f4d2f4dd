"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from . import invitations


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id):
    return invitations.send_invitation(invitation_id)
