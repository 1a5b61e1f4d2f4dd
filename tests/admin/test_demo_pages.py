"""Every back-office page renders for every demo login on the demo world (claims in every state)."""

import re

from django.contrib.auth import get_user_model

from claims.demo import seed
from claims.models import Claim

LISTS = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/(?:balances/)?)"')
DETAILS = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/\d+/change/)')
ACTIONS = re.compile(r'(?:href|action)="(/admin/[a-z_]+/[a-z_]+/\d+/act/[a-z_]+/)"')


def _visit(client):
    """Each list in the menu, its first rows' pages and their action forms; returns the action forms seen."""
    index = client.get("/admin/")
    assert index.status_code == 200
    actions = set()
    for url in sorted(set(LISTS.findall(index.content.decode())) | {"/admin/figures/"}):
        page = client.get(url)
        assert page.status_code == 200, url
        for detail in sorted(set(DETAILS.findall(page.content.decode())))[:6]:
            response = client.get(detail, follow=True)
            assert response.status_code == 200, detail
            actions |= set(ACTIONS.findall(response.content.decode()))
    for act in sorted(actions):
        assert client.get(act, follow=True).status_code == 200, act
    return {url.rstrip("/").rsplit("/", 1)[1] for url in actions}


def test_every_page_and_action_form_renders_for_each_demo_login(db, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    seed()
    users = get_user_model().objects
    client.force_login(users.get(username="reviewer"))
    assert {"approve", "partially_approve", "reject", "request_evidence", "assign"} <= _visit(client)
    client.force_login(users.get(username="supervisor"))
    assert {"override_rate"} <= _visit(client)  # the demo has no invoice requests
    client.force_login(users.get(username="staff"))
    assert {"file_exit", "revoke", "invite", "overturn_receipt_rejection", "change_decision"} <= _visit(client)
    client.force_login(users.get(username="admin"))
    _visit(client)
    client.force_login(users.get(username="reviewer"))
    queue = client.get("/admin/backoffice/queuedclaim/").content.decode()
    assert all(c.claim_id in queue for c in Claim.objects.filter(status__in=("submitted", "evidence_requested")))


def test_r_plan_1_the_demo_shows_both_plans_side_by_side(db, client):
    """demo-shop is enrolled in appliance_30d and apparel_30d with demo-insurer; its apparel
    claims are decided with apparel codes, labelled from the plan's rows everywhere."""
    seed()
    users = get_user_model().objects
    apparel = Claim.objects.filter(plan__code="apparel_30d")
    assert set(apparel.values_list("shop__shop_id", flat=True)) == {"demo-shop"}
    assert set(apparel.values_list("insurer__code", flat=True)) == {"demo-insurer"}
    states = set(apparel.values_list("status", flat=True))
    assert {"submitted", "rejected", "awaiting_return", "refund_due", "paid"} <= states
    assert set(apparel.exclude(decisions=None).values_list("decisions__problem_code", flat=True)) >= {
        "seam_split",
        "material_mismatch",
        "pilling",
    }

    client.force_login(users.get(username="staff"))
    figures = client.get("/admin/figures/?group=plan").content.decode()
    assert "生活电器30天质保险" in figures and "服饰30天质保险" in figures

    client.force_login(users.get(username="reviewer"))
    pending = apparel.get(status="submitted")
    form = client.get(f"/admin/claims/claim/{pending.pk}/act/approve/").content.decode()
    assert 'value="seam_split"' in form and ">Seam split<" in form
    assert 'value="leaking_water_or_power"' not in form
    paid = apparel.get(status="paid")
    assert "Pilling" in client.get(f"/admin/claims/claim/{paid.pk}/change/").content.decode()

    client.force_login(users.get(username="merchant"))
    enrolments = client.get("/portal/enrolment/").content.decode()
    assert "生活电器30天质保险" in enrolments and "服饰30天质保险" in enrolments
    detail = client.get(f"/portal/claims/{paid.claim_id}/").content.decode()
    assert "Pilling" in detail
