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
