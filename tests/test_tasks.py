"""Tasks are enqueued by their registered name once the transaction commits (kernel.tasks), and
no services module imports a tasks module (the tasks modules import the services)."""

import ast
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
