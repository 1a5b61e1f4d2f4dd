"""R-AUD-1: the rows written before the chains existed join them, each claim's (and each shop's
claimless ledger entries) in the order they happened, linked at the time they were written.
Later rows are linked as they are written (audit.models.Chained)."""

from django.db import migrations

from audit import canonical

BATCH = 2000


def backfill(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ChainLink = apps.get_model("audit", "ChainLink")
    ChainHead = apps.get_model("audit", "ChainHead")
    claim_type = ContentType.objects.filter(app_label="claims", model="claim").values_list("pk", flat=True).first()
    chains = {}
    for label in canonical.FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # a table made by a later migration: its rows are chained as they are written
        rows = model.objects.all()
        if label == "audit.transitionlog":
            rows = rows.filter(content_type_id=claim_type)
        for row in rows.iterator(chunk_size=BATCH):
            chain = canonical.chain_of(label, row, claim_type)
            moment = getattr(row, canonical.TIME_FIELD[label])
            chains.setdefault(chain, []).append((moment, label, row.pk, canonical.content_digest(label, row)))
    links, heads = [], []
    for chain, rows in chains.items():
        digest, seq, moment = canonical.GENESIS, 0, None
        for moment, label, pk, content in sorted(rows):
            seq += 1
            new = canonical.link_digest(digest, content)
            links.append(
                ChainLink(
                    chain=chain,
                    seq=seq,
                    table=label,
                    row_id=pk,
                    content_digest=content,
                    prev_digest=digest,
                    digest=new,
                    at=moment,
                )
            )
            digest = new
        heads.append(ChainHead(chain=chain, seq=seq, digest=digest, at=moment))
        if len(links) >= BATCH:
            ChainLink.objects.bulk_create(links)
            links = []
    ChainLink.objects.bulk_create(links, batch_size=BATCH)
    ChainHead.objects.bulk_create(heads, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_chains_roots_pack_downloads"),
        ("claims", "0006_notes_and_ratings"),
        ("ledger", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False)]
