"""R-AUD-1 / R-AUD-2 screens: every back-office role reads the daily roots; service staff also
the chain heads (when each claim was last verified) and the evidence-pack downloads."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "reviewer": ["view_dailyroot"],
    "supervisor": ["view_dailyroot"],
    "service_staff": ["view_dailyroot", "view_chainhead", "view_packdownload"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("audit")
    models_module, config.models_module = getattr(config, "models_module", None), True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="audit", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = apps.get_model("auth", "Group").objects.filter(name=name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="audit", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0004_staff_see_disclosures"), ("audit", "0005_chains_roots_pack_downloads")]

    operations = [migrations.RunPython(grant, revoke)]
