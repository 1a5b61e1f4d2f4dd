"""The database router of kernel.replica (issue 19, item 5): report reads to the replica once one
is configured, every write and migration to the primary. The real replica: tests/reliability/test_replica.py."""

from claims.models import Claim
from kernel import replica

ROUTER = replica.ReplicaRouter()


def test_without_a_replica_every_report_reads_the_primary():
    assert not replica.configured()  # the suite's settings keep none (zhibao/settings/test.py)
    with replica.reads() as alias:
        assert alias == "default"
        assert ROUTER.db_for_read(Claim) is None
    assert replica.for_report(Claim.objects.all()).db == "default"


def test_with_a_replica_reports_read_it_and_writes_never_go_there(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)
    assert ROUTER.db_for_read(Claim) is None  # outside a report: the primary
    with replica.reads() as alias:
        assert alias == "replica"
        assert ROUTER.db_for_read(Claim) == "replica"
        assert ROUTER.db_for_write(Claim) == "default"
    assert ROUTER.db_for_read(Claim) is None  # the block is over
    assert replica.for_report(Claim.objects.all()).db == "replica"
    assert ROUTER.allow_migrate("default", "claims") and not ROUTER.allow_migrate("replica", "claims")
