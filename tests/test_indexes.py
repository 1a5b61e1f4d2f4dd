"""The look-ups that run on tables of millions of rows can use an index (docs/performance.md).
PostgreSQL only: its planner is the one production uses."""

import pytest
from django.db import connection

from claims.models import Claim

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner")


def test_r_abuse_1_a_reused_tracking_number_is_looked_up_by_the_expression_an_index_holds(world):
    """R-ABUSE-1 compares tracking numbers normalised (claims.tracking, the `same_tracking` lookup
    of record_return_shipment and the admin's search). PostgreSQL uses an expression index for
    exactly the expression it indexes: the lookup's, as the planner sees it, must be the one
    claim_tracking_key holds. (Which plan it picks on a test table of a few rows is up to its
    statistics; the bench shows it at a million.)"""
    world.claim()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'claim_tracking_key'")
        [definition] = cursor.fetchone()
    plan = Claim.objects.filter(tracking_number__same_tracking="sf 0001-2").explain()

    expression = definition[definition.index("(upper(") + 1 : definition.rindex(")")]
    assert expression.startswith("upper(replace(replace((tracking_number)::text")
    assert f"{expression} = 'SF00012'::text" in plan
