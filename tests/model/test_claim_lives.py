"""The model-based test of issue 13: whole claim lives through the API and the services, the
invariants checked after every step (tests/model/lives.py, tests/model/invariants.py).

`make test` runs it with a fixed seed (derandomize) and budget; `make soak` runs many more
examples with a random seed it prints (pytest's --hypothesis-seed), to be replayed with
`make soak SEED=…`. MODEL_TRACE=1 prints each step and each request with its answer."""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from .lives import ClaimLives

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "28"))
STEPS = int(os.environ.get("MODEL_STEPS", "35"))
SOAK = bool(os.environ.get("MODEL_SOAK"))


def test_claim_lives_keep_every_invariant():
    found = []

    class Lives(ClaimLives):
        def teardown(self):
            found.extend(self.found)
            super().teardown()

    budget = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=not SOAK,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    run_state_machine_as_test(Lives, settings=budget)
    # Breaches of the items still open on main (invariants.OPEN) do not fail the run: each has
    # its xfailed regression test in test_regressions.py. They are listed here for the record.
    for line in sorted(set(found)):
        print(f"open issue 13 {line}")
