"""Service staff read the disclosures: every masked value someone saw in full (audit.masking)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMS = ["view_disclosure"]


def grant(apps, schema_editor):
    config = apps.get_app_config("audit")
    models_module, config.models_module = getattr(config, "models_module", None), True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    group, _created = apps.get_model("auth", "Group").objects.get_or_create(name="service_staff")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="audit", codename__in=PERMS))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="service_staff").first()
    if group:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="audit", codename__in=PERMS))


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0003_staff_keep_the_webhook_log"), ("audit", "0003_disclosure")]

    operations = [migrations.RunPython(grant, revoke)]
