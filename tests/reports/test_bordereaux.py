"""R-BDX-1: the insurers' monthly bordereaux — lines, totals equal to the ledger, versions."""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from claims.choices import ClaimStatus as S
from integrations.models import WebhookDelivery
from integrations.services import issue_client
from ledger.models import Entry
from reports.files import BordereauFiles
from reports.models import Bordereau
from reports.periods import Period
from reports.services import make_bordereaux

pytestmark = pytest.mark.django_db


def closed(world):
    """The world's month, and a moment after it closed."""
    period = Period.of(world.now)
    return period, period.ends_at + dt.timedelta(days=1)


def rows_of(bordereau):
    with bordereau.csv_file.open("rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))


def xlsx_rows(bordereau):
    """The sheet's cells as text, read from the file's XML (XlsxWriter's constant_memory mode
    writes strings inline)."""
    ns = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with bordereau.xlsx_file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iterfind(".//x:row", ns):
        cells = {}
        for c in row.iterfind("x:c", ns):
            column = re.match(r"[A-Z]+", c.get("r")).group()
            index = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(column))) - 1
            cells[index] = "".join(t.text or "" for t in c.iter(f"{{{ns['x']}}}t")) or c.findtext("x:v", "", ns)
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def made(world, **kwargs):
    period, after = closed(world)
    return {(b.insurer.code, b.kind): b for b in make_bordereaux(period, now=after, **kwargs)}


def test_premium_bordereau_lists_each_premium_charged_with_the_ledger_total_R_BDX_1(world):
    first = world.delivered_order(paid="199.00")
    second = world.delivered_order(paid="99.00")
    bordereaux = made(world)
    premium = bordereaux[("demo-insurer", "premium")]
    rows = rows_of(premium)
    policy_nos = {first.policy.policy_no, second.policy.policy_no}
    assert {row[2] for row in rows[1:]} == policy_nos
    assert premium.lines == 2
    ledger = sum(e.amount for e in Entry.objects.filter(kind="premium_charged", insurer=world.insurer))
    assert premium.total_premium == ledger == first.policy.premium + second.policy.premium
    assert sum(Decimal(row[13]) for row in rows[1:]) == premium.total_premium
    # The other insurer had no movement: its bordereaux exist, empty.
    assert bordereaux[("other-insurer", "premium")].lines == 0


def test_claims_bordereau_has_the_paid_claim_and_totals_equal_the_ledger_R_BDX_1(world):
    paid = world.in_state(S.PAID, buyer="buyer-paid")
    submitted = world.claim(buyer="buyer-open")
    claims = made(world)[("demo-insurer", "claims")]
    rows = {row[0]: row for row in rows_of(claims)[1:]}
    assert set(rows) == {paid.claim_id, submitted.claim_id}
    line = rows[paid.claim_id]
    assert line[15] == "paid" and Decimal(line[12]) == paid.payout_amount
    assert rows[submitted.claim_id][15] == "submitted" and rows[submitted.claim_id][14] == "0.00"
    ledger = sum(e.amount for e in Entry.objects.filter(kind__in=["claim_paid", "shipping_allowance_paid"]))
    assert claims.total_paid == ledger == paid.payout_amount


def test_the_xlsx_holds_the_same_lines_as_the_csv_R_BDX_1(world):
    world.in_state(S.PAID)
    claims = made(world)[("demo-insurer", "claims")]
    cells = xlsx_rows(claims)
    assert len(cells) == claims.lines + 1
    assert cells[1][0] == rows_of(claims)[1][0]
    assert Decimal(cells[1][14]).quantize(Decimal("0.01")) == claims.total_paid


def test_an_unchanged_month_makes_nothing_new_and_a_changed_one_a_new_version_R_BDX_1(world):
    period, after = closed(world)
    world.delivered_order()
    assert len(make_bordereaux(period, now=after)) == 4
    assert make_bordereaux(period, now=after + dt.timedelta(days=3)) == []
    # A movement back-dated into the month (a late shipment report) corrects the month.
    world.delivered_order(receipt_at=world.now - dt.timedelta(seconds=1))
    [corrected] = [b for b in make_bordereaux(period, now=after) if b.kind == "premium" and b.insurer == world.insurer]
    first = Bordereau.objects.get(insurer=world.insurer, period=str(period), kind="premium", version=1)
    assert corrected.version == 2 and corrected.replaces == first
    assert corrected.lines == first.lines + 1


def test_a_future_or_running_month_is_refused_with_a_clear_error_R_BDX_1(world):
    running = Period.of(timezone.now())
    for month in (running, running.next(), Period(2099, 1)):
        with pytest.raises(CommandError, match="has not closed yet"):
            call_command("make_bordereaux", period=str(month))
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("make_bordereaux", period="2026-13")
    assert not Bordereau.objects.exists()


def test_the_command_defaults_to_the_month_just_closed_R_BDX_1(world):
    out = io.StringIO()
    call_command("make_bordereaux", stdout=out)
    assert Bordereau.objects.filter(period=str(Period.of(timezone.now()).previous())).count() == 4
    assert "bordereaux made: 4" in out.getvalue()


def test_bordereau_ready_goes_to_the_insurers_clients_only_R_BDX_1(world):
    own, _k = issue_client(
        "insurer-desk", role="insurer", insurer_code="demo-insurer", webhook_url="https://i.example/h"
    )
    other, _k = issue_client(
        "other-desk", role="insurer", insurer_code="other-insurer", webhook_url="https://o.example/h"
    )
    shop, _k = issue_client("shop-erp", role="merchant", shop_id=world.shop.shop_id, webhook_url="https://s.example/h")
    made(world)
    ready = WebhookDelivery.objects.filter(event_type="bordereau.ready")
    assert ready.filter(client=own).count() == 2
    assert ready.filter(client=other).count() == 2
    assert not ready.filter(client=shop).exists()
    bodies = [d.payload["data"] for d in ready.filter(client=own)]
    assert {b["insurer"] for b in bodies} == {"demo-insurer"}
    assert {b["kind"] for b in bodies} == {"premium", "claims"}


def test_a_formula_in_a_merchants_words_is_not_run_by_the_spreadsheet_R_BDX_1(world):
    with BordereauFiles(["=cmd|' /C calc'!A0", "amount"]) as files:
        files.write(['=HYPERLINK("http://x")', Decimal("-1.32")])
        files.finish()
        text = files.csv_path.read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["'=cmd|' /C calc'!A0,amount", '"\'=HYPERLINK(""http://x"")",-1.32']
