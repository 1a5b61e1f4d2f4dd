"""The ledger read-only with balances and CSV (R-PAY-4); the service figures (R-KPI-1)."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.feedback_services import rate
from kernel.actors import Actor, Channel, Role
from kernel.csv import cell
from ledger.models import Entry

from .helpers import claim_of_other_insurer


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheet programs then read the Chinese right
    return list(csv.reader(io.StringIO(body[1:])))


def test_r_pay_4_the_ledger_cannot_be_written_from_the_admin(world, login):
    world.claim()
    entry = Entry.objects.first()
    client = login(world.supervisor_user)
    assert client.get(reverse("admin:ledger_entry_add")).status_code == 403
    page = client.get(reverse("admin:ledger_entry_change", args=[entry.pk])).content.decode()
    assert 'name="_save"' not in page
    assert client.post(reverse("admin:ledger_entry_change", args=[entry.pk]), {"amount": "0.01"}).status_code == 403


def test_r_pay_4_balances_per_merchant_and_plan_come_from_the_ledger(world, login):
    claim = world.in_state(S.PAID, paid="199.00")
    premium = claim.policy.premium
    client = login(world.supervisor_user)
    html = client.get(reverse("admin:ledger_entry_balances")).content.decode()
    assert world.shop.shop_id in html and f"{premium}" in html and "199.00" in html
    rows = read_csv(client.get(reverse("admin:ledger_entry_balances") + "?export=csv"))
    [row] = [r for r in rows[1:] if r[0] == world.shop.shop_id]
    header = rows[0]
    assert row[header.index("paid to merchants")] == "199.00"
    assert row[header.index("net premiums")] == str(premium)


def test_r_pay_4_balances_of_another_insurer_are_not_shown(world, login):
    claim_of_other_insurer(world)
    html = login(world.supervisor_user).get(reverse("admin:ledger_entry_balances")).content.decode()
    assert "shop-other-insurer" not in html


def test_ledger_export_of_the_selected_entries(world, login):
    world.in_state(S.PAID)
    entries = list(Entry.objects.all())
    client = login(world.staff_user)
    data = {"action": "export_csv", "_selected_action": [e.pk for e in entries], "index": "0", "confirm": "yes"}
    rows = read_csv(client.post(reverse("admin:ledger_entry_changelist"), data))
    assert len(rows) == len(entries) + 1
    assert {r[1] for r in rows[1:]} == {e.kind for e in entries}


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)", "-2+3"])
def test_exports_never_hand_a_formula_to_a_spreadsheet(text):
    assert cell(text) == "'" + text
    assert cell("-12.50") == "-12.50"


def test_r_kpi_1_the_dashboard_draws_each_figure_and_exports_it(world, login):
    world.approved()
    claim = world.claim()
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now)
    client = login(world.reviewer_user)
    response = client.get(reverse("admin:figures"))
    html = response.content.decode()
    for key in ("sla", "decision_time", "payout_time", "approval_by_reason", "loss_ratio_shop", "disputes", "all"):
        assert f'id="figure-{key}"' in html
        assert f"export={key}" in html
    assert html.count('<svg class="zb-chart"') >= 5
    rows = read_csv(client.get(reverse("admin:figures") + "?export=approval_by_reason"))
    assert rows[0] == ["group", "decided", "approval rate"]
    [quality] = rows[1:]
    assert quality[1:] == ["2", "0.5"]  # one approved, one rejected (R-KPI-1)


def test_r_kpi_1_an_insurers_staff_see_their_insurers_figures_only(world, login):
    world.approved()
    claim_of_other_insurer(world)
    client = login(world.reviewer_user)
    rows = read_csv(client.get(reverse("admin:figures") + "?group=insurer&export=all"))
    assert [r[0] for r in rows[1:]] == [world.insurer.name]
    staff_rows = read_csv(login(world.staff_user).get(reverse("admin:figures") + "?group=insurer&export=all"))
    assert {r[0] for r in staff_rows[1:]} == {world.insurer.name, world.other_insurer.name}


def test_r_kpi_1_the_period_and_plan_filters_narrow_the_figures(world, login):
    world.approved()
    client = login(world.staff_user)
    later = (world.now + dt.timedelta(days=40)).date()
    empty = read_csv(client.get(reverse("admin:figures") + f"?start={later}&end={later}&export=all"))
    assert empty[1:] == []
    rows = read_csv(client.get(reverse("admin:figures") + f"?plan={world.plan.pk}&export=sla"))
    assert rows[1][0] == world.plan.name
    assert client.get(reverse("admin:figures") + "?start=2026-05-02&end=2026-05-01").status_code == 200


def test_r_kpi_1_merchants_and_roles_without_the_permission_get_no_figures(world, login, client):
    client.force_login(world.merchant_user)
    assert client.get(reverse("admin:figures")).status_code == 302


def test_r_kpi_2_the_figures_show_average_ratings_and_the_lowest_rated_claims(world, login):
    low = world.in_state(S.REJECTED)
    high = world.in_state(S.PAID)
    rate(low, world.platform, 1, "没人联系我")
    rate(high, world.platform, 5)
    rate(high, world.merchant, 4)
    client = login(world.supervisor_user)
    rows = read_csv(client.get(reverse("admin:figures") + "?group=plan&export=satisfaction"))
    assert rows[0][1:] == ["buyer ratings", "buyer average", "merchant ratings", "merchant average"]
    assert rows[1][1:] == ["2", "3.00", "1", "4.00"]
    lowest = read_csv(client.get(reverse("admin:figures") + "?export=lowest_rated"))
    assert [row[0] for row in lowest[1:]] == [low.claim_id, high.claim_id, high.claim_id]
    assert lowest[1][2:] == ["Buyer", "1", "没人联系我"]
    page = client.get(reverse("admin:figures")).content.decode()
    assert "Lowest-rated claims" in page and low.claim_id in page


def test_r_kpi_2_another_insurers_ratings_stay_out_of_the_figures(world, login):
    theirs = claim_of_other_insurer(world)
    their_reviewer = Actor(role=Role.REVIEWER, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk, label="x")
    claims.decide(theirs, "reject", their_reviewer, reason="人为损坏")
    theirs.refresh_from_db()
    rate(theirs, world.platform, 1)
    client = login(world.supervisor_user)
    lowest = read_csv(client.get(reverse("admin:figures") + "?export=lowest_rated"))
    assert theirs.claim_id not in {row[0] for row in lowest}
