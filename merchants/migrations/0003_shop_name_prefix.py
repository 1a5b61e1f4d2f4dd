# The reviewer's search by the first characters of a shop's name (merchants.models.Shop).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('merchants', '0002_shop_change'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='shop',
            index=models.Index(fields=['name'], name='shop_name_prefix', opclasses=['varchar_pattern_ops']),
        ),
    ]
