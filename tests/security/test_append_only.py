"""The audit trail, the ledger and decisions refuse UPDATE and DELETE in the database itself on
PostgreSQL (R-PAY-4: never edited; corrections are new entries), whoever sends the SQL."""

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import AppendOnlyError, Disclosure, TransitionLog
from audit.services import disclose
from claims.choices import ClaimStatus as S
from claims.models import Decision
from ledger.models import Entry, EntryKind

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers are PostgreSQL's; SQLite keeps the model-level guard"
)

APPEND_ONLY = [(TransitionLog, "reason"), (Entry, "memo"), (Decision, "reason"), (Disclosure, "reason")]


@pytest.fixture
def paid(world):
    """A claim paid out: transitions, a decision and a ledger payment on file; and staff having
    seen the shop's payout account in full."""
    disclose(world.shop, "payout_account", world.staff, reason="核对打款")
    return world.in_state(S.PAID)


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@postgresql_only
@pytest.mark.parametrize("model, column", APPEND_ONLY, ids=lambda v: getattr(v, "__name__", v))
def test_r_pay_4_raw_sql_cannot_update_or_delete_a_recorded_row(paid, model, column):
    table = connection.ops.quote_name(model._meta.db_table)
    row = model.objects.order_by("pk").last()
    before = model.objects.filter(pk=row.pk).values().get()
    with pytest.raises(IntegrityError, match="append-only: UPDATE refused"):
        raw(f"UPDATE {table} SET {column} = %s WHERE id = %s", ["rewritten", row.pk])
    with pytest.raises(IntegrityError, match="append-only: DELETE refused"):
        raw(f"DELETE FROM {table} WHERE id = %s", [row.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        raw(f"DELETE FROM {table}")
    assert model.objects.filter(pk=row.pk).values().get() == before


@postgresql_only
def test_r_pay_4_a_correction_is_a_new_entry(paid):
    payment = Entry.objects.get(claim=paid, kind=EntryKind.CLAIM_PAID)
    correction = Entry.objects.create(
        kind=EntryKind.PREMIUM_REFUNDED,
        amount="1.00",
        shop_id=payment.shop_id,
        insurer_id=payment.insurer_id,
        plan_id=payment.plan_id,
        created_at=payment.created_at,
        memo="correction",
    )
    assert Entry.objects.filter(pk=correction.pk).exists()


@pytest.mark.parametrize("model, column", APPEND_ONLY, ids=lambda v: getattr(v, "__name__", v))
def test_r_pay_4_the_models_refuse_updates_and_deletes_on_every_database(paid, model, column):
    row = model.objects.order_by("pk").last()
    setattr(row, column, "rewritten")
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).update(**{column: "rewritten"})
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).delete()
