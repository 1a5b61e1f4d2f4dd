"""Granted service staff the disclosures; accounts/roles.py holds that now (synced after every migrate).
Kept, empty, so that the migration history stays the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0003_staff_keep_the_webhook_log"), ("audit", "0003_disclosure")]

    operations = []
