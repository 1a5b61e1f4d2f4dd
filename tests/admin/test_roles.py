"""Who gets into the back office and what each role sees there (domain.md §1)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.roles import ROLE_PERMISSIONS
from accounts.services import bind

from ..factories import member

ROLE_SCREENS = {
    "reviewer": {
        "/admin/backoffice/queuedclaim/": 200,
        "/admin/claims/claim/": 200,
        "/admin/notices/notice/": 200,
        "/admin/figures/": 200,
        "/admin/merchants/enrolment/": 403,
        "/admin/merchants/shop/": 403,
        "/admin/policies/invoice/": 403,
        "/admin/ledger/entry/": 403,
        "/admin/claims/buyer/": 403,
        "/admin/claims/receiptdispute/": 403,
        "/admin/audit/transitionlog/": 403,
        "/admin/accounts/membership/": 403,
        "/admin/integrations/webhookdelivery/": 403,
        "/admin/claims/reviewerprofile/": 403,
        "/admin/claims/reviewerprofile/board/": 403,
    },
    "supervisor": {
        "/admin/backoffice/queuedclaim/": 200,
        "/admin/merchants/enrolment/": 200,
        "/admin/policies/invoice/": 200,
        "/admin/ledger/entry/": 200,
        "/admin/ledger/entry/balances/": 200,
        "/admin/figures/": 200,
        "/admin/claims/reviewerprofile/": 200,
        "/admin/claims/reviewerprofile/board/": 200,
        "/admin/claims/buyer/": 403,
        "/admin/claims/appeal/": 403,
        "/admin/catalogue/plan/": 403,
    },
    "service_staff": {
        "/admin/claims/claim/": 200,
        "/admin/claims/buyer/": 200,
        "/admin/claims/receiptdispute/": 200,
        "/admin/claims/appeal/": 200,
        "/admin/claims/merchantreport/": 200,
        "/admin/claims/nonperformancefinding/": 200,
        "/admin/claims/refundrequest/": 200,
        "/admin/merchants/shop/": 200,
        "/admin/merchants/enrolment/": 200,
        "/admin/merchants/shopchange/": 200,
        "/admin/policies/policy/": 200,
        "/admin/policies/suborder/": 200,
        "/admin/policies/invoice/": 200,
        "/admin/ledger/entry/": 200,
        "/admin/ledger/entry/balances/": 200,
        "/admin/notices/notice/": 200,
        "/admin/catalogue/holiday/": 200,
        "/admin/audit/transitionlog/": 200,
        "/admin/figures/": 200,
        "/admin/integrations/webhookdelivery/": 200,
        "/admin/integrations/apiclient/": 200,
        "/admin/backoffice/queuedclaim/": 403,
        "/admin/accounts/membership/": 403,
    },
}


def test_domain_1_the_role_groups_exist_with_their_permissions(db):
    perms = {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.all()
    }
    assert {"reviewer", "supervisor", "service_staff"} <= set(perms)
    assert "backoffice.review_claims" in perms["reviewer"]
    assert "backoffice.approve_enrolments" not in perms["reviewer"]
    assert {"backoffice.approve_enrolments", "backoffice.handle_invoices", "backoffice.override_rates"} <= perms[
        "supervisor"
    ]
    assert {"backoffice.manage_merchants", "backoffice.manage_buyers", "backoffice.resolve_disputes"} <= perms[
        "service_staff"
    ]
    assert "backoffice.review_claims" not in perms["service_staff"]
    assert not any(p.startswith(("claims.delete", "ledger.add", "ledger.change")) for p in set().union(*perms.values()))


def permissions_of(group_name):
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_domain_1_after_migrate_each_role_holds_exactly_the_permissions_of_its_table(db, role):
    assert permissions_of(role) == ROLE_PERMISSIONS[role]


def test_domain_1_migrate_takes_back_what_was_granted_by_hand_and_restores_what_was_removed(db):
    Group.objects.get(name="reviewer").permissions.add(Permission.objects.get(codename="delete_claim"))
    Group.objects.get(name="service_staff").delete()
    Group.objects.get(name="supervisor").permissions.clear()
    call_command("migrate", verbosity=0)
    assert {role: permissions_of(role) for role in ROLE_PERMISSIONS} == ROLE_PERMISSIONS


@pytest.mark.django_db(transaction=True)
def test_domain_1_the_role_groups_survive_a_flush():
    """Transactional tests flush every table between them; the groups come back with it."""
    call_command("flush", verbosity=0, interactive=False)
    assert {role: permissions_of(role) for role in ROLE_PERMISSIONS} == ROLE_PERMISSIONS


def test_domain_1_a_persons_group_follows_their_role(db, world):
    user = member("newcomer", "reviewer", insurer=world.insurer)
    assert [g.name for g in user.groups.all()] == ["reviewer"] and user.is_staff
    bind(user, "service_staff")
    user.refresh_from_db()
    assert [g.name for g in user.groups.all()] == ["service_staff"] and user.is_staff
    bind(user, "merchant", shop=world.shop)
    user.refresh_from_db()
    assert list(user.groups.all()) == [] and not user.is_staff


@pytest.mark.parametrize("role", sorted(ROLE_SCREENS))
def test_domain_1_each_role_sees_only_the_screens_it_needs(world, login, role):
    user = {"reviewer": world.reviewer_user, "supervisor": world.supervisor_user, "service_staff": world.staff_user}
    client = login(user[role])
    assert client.get("/admin/").status_code == 200
    for url, status in ROLE_SCREENS[role].items():
        assert client.get(url).status_code == status, url


def test_domain_1_merchants_never_get_into_the_admin(world, client):
    response = client.post("/admin/login/", {"username": "merchant", "password": "pw-for-tests-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_domain_1_a_merchant_marked_as_staff_by_mistake_is_still_refused(world, client):
    type(world.merchant_user).objects.filter(pk=world.merchant_user.pk).update(is_staff=True)
    response = client.post("/admin/login/", {"username": "merchant", "password": "pw-for-tests-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    client.force_login(world.merchant_user)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/claims/claim/").status_code == 302


def test_staff_log_in_with_their_password(world, client):
    response = client.post("/admin/login/?next=/admin/", {"username": "reviewer", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world.reviewer_user.pk)


def test_the_index_shows_what_waits_for_each_role(world, login):
    world.claim()
    html = login(world.reviewer_user).get("/admin/").content.decode()
    assert 'data-card="queue"' in html and 'data-card="disputes"' not in html
    html = login(world.staff_user).get("/admin/").content.decode()
    assert 'data-card="disputes"' in html and 'data-card="webhooks"' in html and 'data-card="queue"' not in html
    html = login(world.supervisor_user).get("/admin/").content.decode()
    assert 'data-card="applied"' in html and 'data-card="invoices"' in html
