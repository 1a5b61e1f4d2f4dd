"""Celery queues per workload (issue 19, item 6): every task of ours is routed to the queue of its
workload, long ones to the reports queue, and every beat entry expires before its next run is due."""

import pytest
from celery.schedules import crontab
from django.conf import settings

from zhibao.celery import app

WORKLOADS = {"webhooks", "payouts", "email", "sweeps", "reports"}


def our_tasks():
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def queue_of(name):
    return app.amqp.router.route({}, name)["queue"].name


def test_every_task_is_routed_to_a_workload_queue_the_workers_know():
    assert set(settings.ZHIBAO_QUEUES) == WORKLOADS | {"default"}
    known = set(app.amqp.queues)
    routed = {name: queue_of(name) for name in our_tasks()}
    assert routed and set(routed.values()) <= known
    assert {name for name, queue in routed.items() if queue == "default"} == set()
    assert set(routed.values()) == WORKLOADS


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("payments.tasks.send_payout", "payouts"),
        ("claims.tasks.pay_out", "payouts"),
        ("notices.tasks.dispatch", "webhooks"),
        ("notices.tasks.email_notices", "email"),
        ("claims.tasks.process_deadlines", "sweeps"),
        ("reports.tasks.make_bordereaux", "reports"),
        ("audit.tasks.verify_audit_chain", "reports"),
    ],
)
def test_a_task_goes_to_its_workloads_queue(task, queue):
    assert queue_of(task) == queue


def test_a_worker_started_without_queues_consumes_every_queue():
    """`make run`'s embedded worker and the tests' real workers name no -Q: they take every queue."""
    assert set(app.amqp.queues.consume_from) == set(settings.ZHIBAO_QUEUES)


def test_every_beat_entry_expires_before_its_next_run():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        expires = entry.get("options", {}).get("expires")
        assert expires, f"{name} has no expires"
        schedule = entry["schedule"]
        period = 86400 if isinstance(schedule, crontab) else schedule
        assert 0 < expires < period, name


def test_one_task_at_a_time_per_worker_process():
    """Prefetch 1: a long task never holds a second one reserved behind it."""
    assert app.conf.worker_prefetch_multiplier == 1
