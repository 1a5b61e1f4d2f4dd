"""Supervisors read and download their insurer's bordereaux in the admin (R-BDX-1)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMS = ["view_bordereau"]


def grant(apps, schema_editor):
    config = apps.get_app_config("reports")
    models_module, config.models_module = getattr(config, "models_module", None), True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    group, _created = apps.get_model("auth", "Group").objects.get_or_create(name="supervisor")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="reports", codename__in=PERMS))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="supervisor").first()
    if group:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="reports", codename__in=PERMS))


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_bordereau"), ("backoffice", "0002_role_groups")]

    operations = [migrations.RunPython(grant, revoke)]
