"""Granted service staff the webhook log and the integration clients; accounts/roles.py holds that now
(synced after every migrate). Kept, empty, so that the migration history stays the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0002_role_groups"), ("integrations", "0001_initial")]

    operations = []
