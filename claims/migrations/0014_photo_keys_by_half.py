# R-ABUSE-1: images indexed by six 32-bit keys of their perceptual hash (its halves and pairings
# of its quarters, claims.evidence.photo_keys) instead of eight 8-bit bands, so a new photo's
# candidates do not grow with the images stored. The old band rows are dropped and every stored
# image's keys written again.

import claims.models.evidence
from django.db import migrations

BATCH = 5000


def backfill(apps, schema_editor):
    from claims.evidence import photo_keys

    Evidence = apps.get_model("claims", "Evidence")
    ImageFingerprint = apps.get_model("claims", "ImageFingerprint")
    rows = []
    for pk, phash in Evidence.objects.exclude(phash="").order_by("pk").values_list("pk", "phash").iterator(BATCH):
        rows += [ImageFingerprint(evidence_id=pk, key=key) for key in photo_keys(phash)]
        if len(rows) >= BATCH:
            ImageFingerprint.objects.bulk_create(rows)
            rows = []
    ImageFingerprint.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0013_tracking_key_serves_prefixes'),
    ]

    operations = [
        migrations.RunSQL("DELETE FROM claims_imagefingerprint", migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name='imagefingerprint', name='claims_imag_band_98bb0b_idx'),
        migrations.RemoveField(model_name='imagefingerprint', name='band'),
        migrations.RemoveField(model_name='imagefingerprint', name='value'),
        migrations.AddField(
            model_name='imagefingerprint',
            name='key',
            field=claims.models.evidence.PhotoKeyField(db_index=True, default=0),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
