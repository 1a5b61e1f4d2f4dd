"""Enqueue a Celery task by its registered name once the current transaction commits.

Services call this instead of importing their app's tasks module (which imports the services:
a circle). A rolled-back use case sends nothing; a task never reads rows not yet committed."""

import threading
from functools import partial

from celery import Task, current_app
from django.db import transaction


def enqueue(name: str, *args: object, **kwargs: object) -> None:
    """Send the task `name` (e.g. "claims.tasks.pay_out") after commit, or at once outside a
    transaction. An unknown name is refused here, inside the caller's transaction."""
    task = registered(name)
    transaction.on_commit(partial(_send, task, args, kwargs))


# Celery's autodiscovery lets one thread in and returns nothing to the others meanwhile: without
# this lock, a web process's other threads found no task and failed their requests (a 500).
_importing = threading.Lock()


def registered(name: str) -> Task:
    """The task registered under `name`. A web process has not imported the task modules (a
    worker does at start): import them once, the way the worker does."""
    tasks = current_app.tasks
    if name not in tasks:
        with _importing:
            if name not in tasks:
                current_app.loader.import_default_modules()
    return tasks[name]


def _send(task: Task, args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    # `delay`, as the task's own callers would: the worker gets a message, and in eager mode
    # (task_always_eager, set by the tests) it runs here and then.
    task.delay(*args, **kwargs)
