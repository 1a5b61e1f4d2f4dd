"""R-PAY-7: each Shanghai day, the provider's bill (downloaded through the SDK, Alipay's
CSV-in-ZIP) is matched line by line against the transfers recorded here."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from claims.choices import ClaimStatus
from kernel.errors import RoleRefused, RuleViolation
from kernel.timeutil import SHANGHAI, shanghai_date
from payments.choices import AttemptKind, MismatchKind
from payments.gateway import server
from payments.models import Mismatch, PayoutAttempt
from payments.services import attempts
from payments.services.reconciliation import reconcile_day, resolve_mismatch, unreconciled_days

pytestmark = pytest.mark.django_db

YESTERDAY = shanghai_date(timezone.now()) - dt.timedelta(days=1)
NOON = dt.datetime.combine(YESTERDAY, dt.time(12), tzinfo=SHANGHAI)


@pytest.fixture
def paid_yesterday(world, gateway):
    """Two transfers the stand-in made yesterday at noon, both confirmed here."""
    gateway.book.clock = lambda: NOON
    made = []
    for _i in range(2):
        claim = world.in_state(ClaimStatus.REFUNDED)  # refund_only: the merchant's payout alone
        attempt = claim.payout_attempts.get()
        attempts.send(attempt.pk)
        made.append(PayoutAttempt.objects.get(pk=attempt.pk))
    return made


def test_r_pay_7_a_day_whose_bill_matches_every_transfer_is_reconciled(paid_yesterday, capsys):
    call_command("reconcile_payouts", "--day", YESTERDAY.isoformat())
    out = capsys.readouterr().out
    assert "2 bill lines, 2 matched, 0 mismatches open, 0 unreadable lines" in out
    assert "Reconciled." in out
    assert not unreconciled_days().exists()


def test_r_pay_7_a_transfer_recorded_here_but_not_on_the_bill_is_listed_with_both_sides(world, paid_yesterday, gateway):
    [first, second] = paid_yesterday
    del gateway.book.orders[second.out_biz_no]  # the provider's bill does not have it

    day = reconcile_day(YESTERDAY)

    assert day.reconciled_at is None and day.matched == 1
    [mismatch] = day.mismatches.all()
    assert mismatch.kind == MismatchKind.MISSING_AT_PROVIDER and mismatch.out_biz_no == second.out_biz_no
    assert mismatch.our_amount == Decimal("199.00") and mismatch.their_amount is None
    assert list(unreconciled_days()) == [day]

    with pytest.raises(RuleViolation):
        resolve_mismatch(mismatch, world.staff, reason=" ")
    with pytest.raises(RoleRefused):
        resolve_mismatch(mismatch, world.reviewer, reason="checked")
    resolve_mismatch(mismatch, world.staff, reason="Alipay confirmed by phone: posted on the next day's bill")
    day.refresh_from_db()
    assert day.reconciled_at is not None

    # Running it again keeps the resolution.
    assert reconcile_day(YESTERDAY).reconciled_at is not None
    assert Mismatch.objects.get().resolution.startswith("Alipay confirmed")


def test_r_pay_7_amount_and_payee_differences_show_both_sides(paid_yesterday, gateway):
    [first, second] = paid_yesterday
    gateway.book.orders[first.out_biz_no]["amount"] = "19.90"
    gateway.book.orders[second.out_biz_no]["payee"] = "someone-else"

    day = reconcile_day(YESTERDAY)

    found = {(m.out_biz_no, m.kind): m for m in day.mismatches.all()}
    amount = found[(first.out_biz_no, MismatchKind.AMOUNT_DIFFERS)]
    assert (amount.our_amount, amount.their_amount) == (Decimal("199.00"), Decimal("19.90"))
    payee = found[(second.out_biz_no, MismatchKind.PAYEE_DIFFERS)]
    assert (payee.our_payee, payee.their_payee) == ("alipay-shop-a", "someone-else")
    assert day.reconciled_at is None


def test_r_pay_7_a_transfer_on_the_bill_not_confirmed_here_is_listed(world, paid_yesterday, gateway):
    gateway.book.clock = lambda: NOON
    claim = world.in_state(ClaimStatus.REFUND_DUE)
    attempt = attempts.create_attempt(
        claim, AttemptKind.CLAIM_PAYOUT, "alipay-shop-a-timeout", Decimal("50.00"), world.staff, now=world.now
    )
    attempts.send(attempt.pk)  # made, the answer lost: unknown here

    day = reconcile_day(YESTERDAY)

    [mismatch] = day.mismatches.all()
    assert mismatch.kind == MismatchKind.MISSING_HERE and mismatch.attempt_id == attempt.pk
    assert mismatch.their_amount == Decimal("50.00") and "alipay-shop-a-timeout" in mismatch.their_line

    # Once the query confirms it, the next run finds nothing left to list.
    attempts.check_due(now=PayoutAttempt.objects.get(pk=attempt.pk).next_check_at + dt.timedelta(seconds=1))
    PayoutAttempt.objects.filter(pk=attempt.pk).update(paid_at=NOON)
    assert reconcile_day(YESTERDAY).reconciled_at is not None


def test_r_pay_7_a_bill_with_unreadable_lines_leaves_the_day_unreconciled_and_names_them(
    paid_yesterday, gateway, monkeypatch, capsys
):
    real = server.write_bill

    def damaged(day, account, transfers):
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(real(day, account, transfers))) as zf:
            [name] = zf.namelist()
            lines = zf.read(name).decode("gbk").splitlines()
        lines[5] = lines[5].replace("-199.00", "-1九9.00")
        lines.insert(6, "garbage,,")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr(name, "\n".join(lines).encode("gbk"))
        return out.getvalue()

    monkeypatch.setattr(server, "write_bill", damaged)
    call_command("reconcile_payouts", "--day", YESTERDAY.isoformat())
    out = capsys.readouterr().out
    assert "2 unreadable lines" in out and "Not reconciled." in out
    assert "line 6 unreadable (unreadable amount)" in out
    assert "line 7 unreadable (3 fields instead of 11)" in out
    day = unreconciled_days().get()
    assert [line["line"] for line in day.unreadable_lines] == [6, 7]


def test_r_pay_7_a_bill_that_is_not_a_zip_is_named_not_guessed(paid_yesterday, gateway, monkeypatch):
    monkeypatch.setattr(server, "write_bill", lambda *args: b"<html>Service Unavailable</html>")
    day = reconcile_day(YESTERDAY)
    assert day.reconciled_at is None and day.unreadable_lines[0]["problem"] == "not a ZIP archive"
    assert not day.mismatches.exists()


def test_r_pay_7_an_unreachable_provider_leaves_the_day_open_with_the_reason(db, gateway, settings):
    settings.ALIPAY_GATEWAY_URL = "http://127.0.0.1:9/gateway.do"
    with pytest.raises(CommandError, match="could not be fetched"):
        call_command("reconcile_payouts", "--day", YESTERDAY.isoformat())
    assert unreconciled_days().count() == 1


def test_r_pay_7_today_and_bad_days_are_refused(db, gateway):
    with pytest.raises(CommandError, match="ended"):
        call_command("reconcile_payouts", "--day", shanghai_date(timezone.now()).isoformat())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reconcile_payouts", "--day", "yesterday")
