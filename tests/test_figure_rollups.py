"""R-KPI-1 (issue 19): the service figures read daily rollups kept as claims move, equal to the
figures computed from every claim, with percentiles from histograms within 1 %; and the day-by-day
trends of issue 15 (charts with a table and CSV)."""

import datetime as dt
import random
import statistics

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import histogram
from claims import services as claims
from claims.figures import daily_series, rolled_figures, service_figures
from claims.models import Claim, FiguresDay, MoneyDay
from claims.rollups import refresh_figures
from claims.tasks import refresh_figures as refresh_task
from kernel.timeutil import shanghai_date
from ledger.models import Entry

from .admin.test_ledger_and_figures import read_csv
from .test_figures import at, record, window  # noqa: F401 (record is a fixture)

pytestmark = pytest.mark.django_db
PERCENTILES = ("decision_hours_p50", "decision_hours_p90", "payout_hours_p50", "payout_hours_p90")


def days(world):
    start, end = window(world)
    return shanghai_date(start), shanghai_date(end)


def rolled(world, group, actor=None, **kwargs):
    scoped = (lambda qs: qs.for_actor(actor)) if actor else (lambda qs: qs)
    return rolled_figures(
        *days(world),
        group=group,
        rollups=scoped(FiguresDay.objects),
        money=scoped(MoneyDay.objects),
        undecided=scoped(Claim.objects),
        **kwargs,
    )


def assert_same(rolled_rows, exact_rows):
    assert [r["id"] for r in rolled_rows] == [r["id"] for r in exact_rows]
    for mine, exact in zip(rolled_rows, exact_rows, strict=True):
        for key, value in exact.items():
            if key in PERCENTILES and value is not None:
                assert abs(mine[key] - value) <= 0.01 * value + 0.01, key
            else:
                assert mine[key] == value, key


@pytest.mark.parametrize("group", ["plan", "insurer", "shop", "reason"])
def test_r_kpi_1_the_rollups_give_the_figures_of_every_claim(world, record, group):  # noqa: F811
    refresh_figures()
    assert_same(rolled(world, group), service_figures(*window(world), group=group))


def test_r_kpi_1_the_rollups_are_scoped_to_the_viewers_insurer(world, record):  # noqa: F811
    refresh_figures()
    mine = service_figures(
        *window(world),
        group="shop",
        claims=Claim.objects.for_actor(world.reviewer),
        entries=Entry.objects.for_actor(world.reviewer),
    )
    assert_same(rolled(world, "shop", world.reviewer), mine)
    assert record.pk not in [r["id"] for r in rolled(world, "shop", world.reviewer)]


def test_r_kpi_1_the_rollups_follow_the_claims_as_they_move(world):
    claim = world.claim(kind="refund_only", buyer="m1")
    refresh_figures()
    [before] = rolled(world, "insurer")
    assert (before["claims_opened"], before["claims_decided"]) == (1, 0)

    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=at(world, 3))
    assert refresh_figures() >= 1  # the claim's day, rebuilt
    [after] = rolled(world, "insurer")

    assert (after["claims_decided"], after["approval_rate"]) == (1, 1.0)
    assert after["decision_hours_p50"] == pytest.approx(3.0, rel=histogram.MAX_RELATIVE_ERROR)
    assert refresh_figures() == 0 or rolled(world, "insurer") == [after]


def test_r_kpi_1_a_claim_left_undecided_past_its_sla_counts_against_compliance_live(world):
    on_time = world.claim(kind="refund_only", buyer="k1")
    claims.decide(on_time, "approve", world.reviewer, problem_code="no_power", now=at(world, 2))
    world.claim(kind="refund_only", buyer="k2")
    refresh_figures()
    [row] = rolled(world, "insurer", now=at(world, 48))
    assert row["sla_compliance"] == 0.5
    [row] = rolled(world, "insurer", now=at(world, 1))
    assert row["sla_compliance"] == 1.0


def test_r_kpi_1_the_sweepers_task_refreshes_the_rollups(world):
    world.claim(kind="refund_only", buyer="t1")
    refresh_task()
    assert FiguresDay.objects.filter(day=shanghai_date(world.now)).exists()


def bench_decision_hours(n):
    """The time to decision of bench/figures.py's claim number n (its DECIDED expression)."""
    return round((600 + (n * 7919) % 100_800) / 3600, 2)


def test_r_kpi_1_histogram_percentiles_are_within_1_percent_on_the_bench_data():
    values = [bench_decision_hours(n) for n in range(1, 200_001)]
    counts = histogram.merge([{str(histogram.bucket(v)): 1} for v in values])
    ordered = sorted(values)
    for share in (0.5, 0.9):
        exact = statistics.quantiles(ordered, n=100, method="inclusive")[int(share * 100) - 1]
        assert abs(histogram.percentile(counts, share) - exact) <= 0.01 * exact
    assert len(counts) < 500  # buckets, not values


def test_r_kpi_1_histogram_error_is_bounded_for_any_durations():
    rng = random.Random(15)
    for _ in range(50):
        values = [round(rng.lognormvariate(1.5, 1.2), 2) for _ in range(rng.randint(2, 3000))]
        counts = histogram.merge([{str(histogram.bucket(v)): 1} for v in values])
        ordered = sorted(values)
        for share in (0.5, 0.9):
            exact = statistics.quantiles(ordered, n=100, method="inclusive")[int(share * 100) - 1]
            # Half a bucket (0.78 %), and the figures' own rounding to 0.01 h.
            assert abs(histogram.percentile(counts, share) - exact) <= histogram.MAX_RELATIVE_ERROR * exact + 0.011


def test_issue_15_the_daily_series_counts_each_days_claims(world):
    world.claim(kind="refund_only", buyer="d1", now=world.now - dt.timedelta(days=2))
    decided = world.claim(kind="refund_only", buyer="d2")
    claims.decide(decided, "approve", world.reviewer, problem_code="no_power", now=at(world, 5))
    refresh_figures()
    today = shanghai_date(world.now)
    series = daily_series(
        today - dt.timedelta(days=3), today, rollups=FiguresDay.objects, undecided=Claim.objects, now=at(world, 6)
    )
    assert [d["id"] for d in series] == [today - dt.timedelta(days=n) for n in (3, 2, 1, 0)]
    by_day = {d["id"]: d for d in series}
    assert by_day[today]["claims_opened"] == 1
    assert by_day[today]["decision_hours_p50"] == pytest.approx(5.0, rel=histogram.MAX_RELATIVE_ERROR)
    assert by_day[today]["sla_compliance"] == 1.0
    two_days_ago = by_day[today - dt.timedelta(days=2)]
    assert (two_days_ago["claims_opened"], two_days_ago["claims_decided"]) == (1, 0)
    assert two_days_ago["sla_compliance"] == 0.0  # left undecided past its SLA
    assert by_day[today - dt.timedelta(days=1)]["sla_compliance"] is None


def test_issue_15_the_figures_page_draws_the_trends_with_a_table_and_csv(world, client):
    claim = world.claim()
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=at(world, 2))
    client.force_login(world.supervisor_user)
    html = client.get(reverse("admin:figures")).content.decode()
    assert 'id="figure-daily"' in html
    assert html.count('class="zb-chart zb-trend"') == 3
    assert "<desc id=" in html and "aria-labelledby=" in html
    assert "<script" not in html.split('id="figure-daily"')[1].split("</section>")[0]
    rows = read_csv(client.get(reverse("admin:figures") + "?export=daily"))
    assert rows[0] == ["group", "opened", "decided", "at risk", "within SLA", "decision p50 h", "decision p90 h"]
    assert len(rows) == 31  # the default period: 30 days
    today = [r for r in rows if r[0] == shanghai_date(world.now).isoformat()]
    assert today[0][1:3] == ["1", "1"]


def test_r_kpi_1_the_figures_page_costs_the_same_queries_for_more_claims(world, client):
    client.force_login(world.staff_user)

    def queries():
        refresh_figures()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:figures")).status_code == 200
        return len(captured)

    world.claim(buyer="q1")
    few = queries()
    for n in range(4):
        world.claim(buyer=f"q-more-{n}", shop=world.other_shop if n % 2 else world.shop)
    assert queries() == few
