"""R-BDX-1: supervisors download their insurer's bordereaux in the admin; insurer clients read
theirs through the API, the platform all, merchants none (api.md conventions)."""

import datetime as dt

import pytest
from django.test import Client

from claims.choices import ClaimStatus as S
from kernel.actors import Role
from reports.periods import Period
from reports.services import make_bordereaux
from tests.api.conftest import error_of, make_api
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(world):
    world.in_state(S.PAID)
    period = Period.of(world.now)
    made = make_bordereaux(period, now=period.ends_at + dt.timedelta(days=1))
    return period, {(b.insurer.code, b.kind): b for b in made}


def test_an_insurer_client_lists_its_own_bordereaux_of_a_month_R_BDX_1(world, month):
    period, made = month
    api = make_api("desk", role="insurer", insurer_code="demo-insurer")
    response = api.get("bordereaux", {"period": str(period), "kind": "claims"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    claims = made[("demo-insurer", "claims")]
    assert row == {
        "id": claims.pk,
        "insurer": "demo-insurer",
        "period": str(period),
        "kind": "claims",
        "version": 1,
        "replaces": None,
        "created_at": row["created_at"],
        "lines": 1,
        "total_premium": None,
        "total_paid": f"{claims.total_paid:.2f}",
    }
    everything = api.get("bordereaux").json()["results"]
    assert {r["insurer"] for r in everything} == {"demo-insurer"} and len(everything) == 2


def test_the_platform_reads_every_insurers_bordereaux_and_merchants_none_R_BDX_1(world, month):
    assert len(make_api("tmall").get("bordereaux").json()["results"]) == 4
    response = make_api("erp", role="merchant", shop_id=world.shop.shop_id).get("bordereaux")
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"


def test_a_bordereau_file_downloads_as_csv_or_xlsx_R_BDX_1(world, month):
    _period, made = month
    claims = made[("demo-insurer", "claims")]
    api = make_api("desk", role="insurer", insurer_code="demo-insurer")
    csv = api.get(f"bordereaux/{claims.pk}/file", {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert world.shop.shop_id in text
    xlsx = api.get(f"bordereaux/{claims.pk}/file", {"format": "xlsx"})
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"


def test_another_insurers_bordereau_is_404_and_bad_queries_are_400_R_BDX_1(world, month):
    _period, made = month
    other = make_api("other-desk", role="insurer", insurer_code="other-insurer")
    response = other.get(f"bordereaux/{made[('demo-insurer', 'claims')].pk}/file")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    own = made[("other-insurer", "premium")].pk
    for query in ({"format": "pdf"},):
        response = other.get(f"bordereaux/{own}/file", query)
        assert response.status_code == 400 and "format" in error_of(response)["fields"]
    for query in ({"period": "2026-13"}, {"period": "March"}, {"kind": "points"}):
        response = other.get("bordereaux", query)
        assert response.status_code == 400, query
        assert set(error_of(response)["fields"]) == set(query)


def test_a_supervisor_downloads_their_insurers_bordereaux_in_the_admin_R_BDX_1(world, month):
    period, made = month
    http = Client(HTTP_ACCEPT_LANGUAGE="en")
    http.force_login(world.supervisor_user)
    page = http.get("/admin/reports/bordereau/", {"kind": "claims", "period": str(period)})
    assert page.status_code == 200
    own, foreign = made[("demo-insurer", "claims")], made[("other-insurer", "claims")]
    download = f"/admin/reports/bordereau/{own.pk}/download/"
    assert download in page.content.decode()
    assert f"/admin/reports/bordereau/{foreign.pk}/download/" not in page.content.decode()
    response = http.get(download, {"format": "xlsx"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert http.get(f"/admin/reports/bordereau/{foreign.pk}/download/").status_code == 404


def test_a_reviewer_has_no_bordereaux_screen_R_BDX_1(world, month):
    http = Client()
    http.force_login(member("reviewer-2", Role.REVIEWER, insurer=world.insurer))
    assert http.get("/admin/reports/bordereau/").status_code == 403
