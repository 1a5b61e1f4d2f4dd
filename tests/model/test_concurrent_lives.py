"""The claim-lives machine with races (tests/model/concurrent.py), on PostgreSQL only: SQLite
serialises its writers, so a race there proves nothing. `make test` runs it on a fixed seed and a
small budget (every example is flushed at its end); `make soak` runs it longer beside the other."""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.reliability.postgres import postgresql_only

from .concurrent import ConcurrentLives

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

SOAK = bool(os.environ.get("MODEL_SOAK"))
EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "40")) // (1 if SOAK else 5)
STEPS = int(os.environ.get("MODEL_STEPS", "25"))


def test_claim_lives_keep_every_invariant_when_steps_race():
    budget = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=not SOAK,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    run_state_machine_as_test(ConcurrentLives, settings=budget)
