# R-ABUSE-1: tracking numbers compared without spaces or dashes, case-blind (claims.tracking).

import claims.tracking
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0007_payout_flags'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='claim',
            name='claim_tracking_upper',
        ),
        migrations.AddIndex(
            model_name='claim',
            index=models.Index(claims.tracking.TrackingKey('tracking_number'), name='claim_tracking_key'),
        ),
    ]
