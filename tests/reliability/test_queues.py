"""A real worker started the way `make run` and these tests start it consumes every workload queue
(issue 19, item 6), and a task routed to each reaches it."""

import pytest
from django.conf import settings

from zhibao.celery import app

from .workers import Worker, forget_queued_tasks, redis_only, wait_for

pytestmark = [redis_only, pytest.mark.broker]


def test_a_real_worker_consumes_every_workload_queue():
    forget_queued_tasks()
    worker = Worker("queues")
    try:
        seen = {}

        def answered():
            replies = app.control.inspect(timeout=1).active_queues() or {}
            seen.update(replies)
            return bool(replies)

        wait_for(answered, timeout=60, workers=[worker], what="the worker to answer")
        queues = {queue["name"] for queues in seen.values() for queue in queues}
        assert queues == set(settings.ZHIBAO_QUEUES), worker.output
    finally:
        worker.stop()
