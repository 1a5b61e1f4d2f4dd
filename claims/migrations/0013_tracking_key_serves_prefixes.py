# The reviewer's search by the first characters of a return tracking number: the same index,
# with text_pattern_ops on PostgreSQL so that it serves LIKE 'SF12%' as well as = (claims.tracking).

import claims.tracking
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0012_refund_request_not_routed_labels'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='claim',
            name='claim_tracking_key',
        ),
        migrations.AddIndex(
            model_name='claim',
            index=claims.tracking.PatternIndex(claims.tracking.TrackingKey('tracking_number'), name='claim_tracking_key'),
        ),
    ]
