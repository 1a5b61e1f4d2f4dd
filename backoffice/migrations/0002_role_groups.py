"""The staff roles of domain.md §1 as groups, each with the screens and actions it needs.

A person's group follows their membership's role (accounts.services.bind)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER = [
    "backoffice.view_queuedclaim",
    "backoffice.review_claims",
    "backoffice.view_figures",
    "claims.view_claim",
    "notices.view_notice",
]
SUPERVISOR = REVIEWER + [
    "backoffice.approve_enrolments",
    "backoffice.override_rates",
    "backoffice.handle_invoices",
    "merchants.view_shop",
    "merchants.view_enrolment",
    "merchants.view_rate",
    "policies.view_invoice",
    "ledger.view_entry",
]
SERVICE_STAFF = [
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
    "catalogue.view_holiday",
    "catalogue.add_holiday",
    "catalogue.change_holiday",
    "audit.view_transitionlog",
]
GROUPS = {"reviewer": REVIEWER, "supervisor": SUPERVISOR, "service_staff": SERVICE_STAFF}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("backoffice", "0001_initial"),
        ("audit", "0001_initial"),
        ("catalogue", "0001_initial"),
        ("claims", "0001_initial"),
        ("ledger", "0001_initial"),
        ("merchants", "0002_shop_change"),
        ("notices", "0001_initial"),
        ("policies", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
