"""Service staff keep the webhook delivery log (re-send) and the integration clients (revoke a key)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMS = ["view_webhookdelivery", "change_webhookdelivery", "view_apiclient", "change_apiclient"]


def grant(apps, schema_editor):
    config = apps.get_app_config("integrations")
    models_module, config.models_module = getattr(config, "models_module", None), True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    group, _created = apps.get_model("auth", "Group").objects.get_or_create(name="service_staff")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="integrations", codename__in=PERMS))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="service_staff").first()
    if group:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="integrations", codename__in=PERMS))


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0002_role_groups"), ("integrations", "0001_initial")]

    operations = [migrations.RunPython(grant, revoke)]
