"""The look-ups that run on tables of millions of rows can use an index (docs/performance.md).
PostgreSQL only: its planner is the one production uses."""

import pytest
from django.db import connection

from claims.models import Claim

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner")


def plan_of(queryset):
    with connection.cursor() as cursor:
        # On a test table of a few rows a sequential scan is cheapest; this asks whether an index
        # could serve the query at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_r_ret_2_a_reused_tracking_number_is_found_through_an_index(world):
    claim = world.claim()
    # What claims.services.record_return_shipment looks for, case-blind (without its ordering: on a
    # test table's statistics the planner may prefer to walk opened_at for the first match).
    query = Claim.objects.filter(tracking_number__iexact="sf0001").exclude(pk=claim.pk)

    assert "claim_tracking_upper" in plan_of(query)
