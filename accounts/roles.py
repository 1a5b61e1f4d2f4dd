"""The staff roles of domain.md §1 and the permissions each one holds: the screens and actions it needs.

Declared once, here. Each role is a group of the same name (accounts.services.bind puts a person in the
group of their role); after every migrate (and every flush) sync_role_groups makes each group hold
exactly the permissions below, whatever was granted or removed by hand."""

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

from kernel.actors import Role

REVIEWER = frozenset(
    {
        "backoffice.view_queuedclaim",
        "backoffice.review_claims",
        "backoffice.view_figures",
        "claims.view_claim",
        "notices.view_notice",
        # R-AUD-1: the daily roots sent to clients, to compare with theirs.
        "audit.view_dailyroot",
        # R-AUTH-1: the decisions awaiting a second approval, and the insurer's limits.
        "claims.view_pendingdecision",
        "claims.view_authoritylimit",
    }
)
SUPERVISOR = REVIEWER | {
    "backoffice.approve_enrolments",
    "backoffice.override_rates",
    "backoffice.handle_invoices",
    "merchants.view_shop",
    "merchants.view_enrolment",
    "merchants.view_rate",
    "policies.view_invoice",
    "ledger.view_entry",
    "payments.view_payoutattempt",
    # Their insurer's monthly bordereaux, to download (R-BDX-1).
    "reports.view_bordereau",
    # R-AUTH-1: supervisors set their insurer's authority limits.
    "claims.add_authoritylimit",
    "claims.change_authoritylimit",
    # R-ASSIGN-1: reviewers' duty and capacity, the at-risk board and reassignment.
    "claims.view_reviewerprofile",
    "claims.add_reviewerprofile",
    "claims.change_reviewerprofile",
    "claims.supervise_assignments",
}
SERVICE_STAFF = frozenset(
    {
        "backoffice.manage_merchants",
        "backoffice.manage_buyers",
        "backoffice.resolve_disputes",
        "backoffice.view_figures",
        "claims.view_claim",
        "claims.view_buyer",
        "claims.view_refundrequest",
        "claims.view_receiptdispute",
        "claims.view_appeal",
        "claims.view_merchantreport",
        "claims.view_nonperformancefinding",
        # Onboarding: a shop's first user is invited by e-mail from the shop's page.
        "accounts.view_invitation",
        "accounts.add_invitation",
        "merchants.view_shop",
        "merchants.add_shop",
        "merchants.change_shop",
        "merchants.view_shopchange",
        "merchants.view_enrolment",
        "merchants.view_rate",
        "policies.view_policy",
        "policies.view_suborder",
        "policies.view_invoice",
        "ledger.view_entry",
        "notices.view_notice",
        "catalogue.view_insurer",
        "catalogue.view_plan",
        # R-PLAN-1: staff add problem codes to a plan's taxonomy.
        "catalogue.view_problemcode",
        "catalogue.add_problemcode",
        "catalogue.change_problemcode",
        "catalogue.view_holiday",
        "catalogue.add_holiday",
        "catalogue.change_holiday",
        "audit.view_transitionlog",
        # Every masked value someone saw in full (audit.masking).
        "audit.view_disclosure",
        # R-AUD-1 / R-AUD-2: the daily roots, each chain's head and when it was last verified, and
        # every evidence pack handed out.
        "audit.view_dailyroot",
        "audit.view_chainhead",
        "audit.view_packdownload",
        # The webhook delivery log (re-send) and the integration clients (revoke a key).
        "integrations.view_webhookdelivery",
        "integrations.change_webhookdelivery",
        "integrations.view_apiclient",
        "integrations.change_apiclient",
        # R-PAY-6: refused transfers and their retry; R-PAY-7: the days and their mismatches.
        "payments.view_payoutattempt",
        "payments.retry_payouts",
        "payments.view_reconciliationday",
        "payments.view_mismatch",
        "payments.resolve_mismatches",
        # R-AUTH-1: appeal changes and overturns awaiting a second member of staff; the limits.
        "claims.view_pendingdecision",
        "claims.view_authoritylimit",
    }
)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.REVIEWER: REVIEWER,
    Role.SUPERVISOR: SUPERVISOR,
    Role.SERVICE_STAFF: SERVICE_STAFF,
}


def sync_role_groups(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Give each role's group exactly its permissions (a post_migrate receiver: AccountsConfig.ready)."""
    # Django makes an app's permissions after that app's own migrations, and the table names apps that
    # come after accounts in INSTALLED_APPS: make theirs now (it only adds the ones missing).
    for label in sorted({name.split(".")[0] for names in ROLE_PERMISSIONS.values() for name in names}):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
    known = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role, names in ROLE_PERMISSIONS.items():
        missing = sorted(names - set(known))
        if missing:
            raise LookupError(f"the {role} role names permissions that do not exist: {', '.join(missing)}")
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([known[name] for name in names])
