"""Celery entry points: ids in, a service call, nothing else."""

import logging

from celery import shared_task

from . import chain

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def verify_audit_chain():
    """R-AUD-1, nightly: the same check as `manage.py verify_audit_chain`; mismatches are logged
    as errors (and shown on each claim's page as not matching)."""
    report = chain.verify()
    for problem in report.problems:
        log.error("audit chain mismatch: %s", problem)
    return len(report.problems)
