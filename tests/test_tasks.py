"""Tasks are enqueued by their registered name once the transaction commits (kernel.tasks), and
no services module imports a tasks module (the tasks modules import the services)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from claims.choices import ClaimStatus as S
from kernel.tasks import enqueue

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def test_a_task_enqueued_by_name_runs_once_the_transaction_commits(world, django_capture_on_commit_callbacks):
    claim = world.in_state(S.REFUNDED)
    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        enqueue("claims.tasks.pay_out", claim.pk)
    claim.refresh_from_db()
    assert claim.status == S.REFUNDED  # nothing sent before the commit
    for callback in scheduled:
        callback()
    claim.refresh_from_db()
    assert claim.status == S.PAID  # R-PAY-5: the payout ran (eagerly, as every test task does)


def test_a_task_enqueued_in_a_rolled_back_transaction_is_never_sent(world, django_capture_on_commit_callbacks):
    claim = world.in_state(S.REFUNDED)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("claims.tasks.pay_out", claim.pk)
            raise RuntimeError("the use case failed")
    claim.refresh_from_db()
    assert claim.status == S.REFUNDED


def test_an_unknown_task_name_is_refused_inside_the_callers_transaction():
    with pytest.raises(KeyError):
        enqueue("claims.tasks.no_such_task")


def test_no_services_module_imports_a_tasks_module():
    offences = []
    for path in ROOT.glob("*/services*"):
        for module in [path] if path.suffix == ".py" else path.rglob("*.py"):
            for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [alias.name for alias in node.names]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                if any(name == "tasks" or (name.endswith(".tasks") and name != "kernel.tasks") for name in names):
                    offences.append(f"{module.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


# Found by tests/reliability/test_database_restart.py: gunicorn's threads of a fresh web process each
# found the task missing and asked Celery to import the task modules; Celery's autodiscovery lets one
# thread in and returns nothing to the others, whose requests then failed with NotRegistered (a 500).
THREADS_AT_ONCE = """
import sys, threading
import django
django.setup()
from kernel.tasks import registered
barrier = threading.Barrier(16)
failures = []
def look_up():
    barrier.wait()
    try:
        registered("notices.tasks.dispatch")
    except Exception as error:
        failures.append(repr(error))
threads = [threading.Thread(target=look_up) for _ in range(16)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(len(failures), failures[:1])
sys.exit(1 if failures else 0)
"""


def test_threads_of_a_fresh_web_process_all_find_a_task_by_name():
    for _attempt in range(5):
        result = subprocess.run(
            [sys.executable, "-c", THREADS_AT_ONCE],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "zhibao.settings.test"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
