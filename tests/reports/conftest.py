import datetime as dt

import pytest

from kernel.timeutil import SHANGHAI
from tests.world import World

# Mid-month, so that a world's recent activity (days before `now`) falls in one month.
MID_MONTH = dt.datetime(2026, 3, 20, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(db):
    return World(now=MID_MONTH)
