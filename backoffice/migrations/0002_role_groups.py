"""Made the staff roles' groups and their permissions, when they were written here by hand.

They are declared once now, in accounts/roles.py, and synced after every migrate (and flush); this
migration stays, empty, so that databases that applied it and the migrations after it keep one history."""

from django.db import migrations


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

    operations = []
