"""R-AUD-1: every row of a claim's history and every ledger entry is a link of a hash chain;
daily roots over the chain heads; `verify_audit_chain` names every row that no longer matches."""

import datetime as dt
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from audit import canonical, chain
from audit.models import ChainHead, ChainLink, DailyRoot
from audit.services import history
from claims.choices import ClaimStatus as S
from claims.feedback_services import add_note
from claims.models import Decision
from integrations.models import WebhookDelivery
from integrations.roots import publish_daily_root
from integrations.services import issue_client
from kernel.timeutil import shanghai_date
from ledger.models import Entry, EntryKind

pytestmark = pytest.mark.django_db


def behind_the_applications_back(sql, params):
    """What a superuser could do: write with every trigger switched off (PostgreSQL's replica
    mode skips the append-only triggers); SQLite has none."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def verify_command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue() + err.getvalue()


def test_r_aud_1_a_claims_history_and_payments_form_one_chain_in_order(world):
    claim = world.in_state(S.PAID, kind="refund_only")
    links = list(ChainLink.objects.filter(chain=f"claim:{claim.pk}").order_by("seq"))
    tables = [link.table for link in links]
    assert tables.count("audit.transitionlog") == history(claim).count()
    assert tables.count("claims.decision") == claim.decisions.count() == 1
    assert tables.count("claims.evidence") == claim.evidence.count() == 1
    assert tables.count("ledger.entry") == Entry.objects.filter(claim=claim).count() >= 1
    assert [link.seq for link in links] == list(range(1, len(links) + 1))
    previous = canonical.GENESIS
    for link in links:
        # Each link holds the digest of its row's content and of the row before it.
        row = django_apps.get_model(link.table).objects.get(pk=link.row_id)
        assert link.content_digest == canonical.content_digest(link.table, row)
        assert link.prev_digest == previous
        assert link.digest == canonical.link_digest(previous, link.content_digest)
        previous = link.digest
    assert ChainHead.objects.get(chain=f"claim:{claim.pk}").digest == previous


def test_r_aud_1_r_note_2_notes_join_their_claims_chain(world):
    claim = world.claim()
    note = add_note(claim, world.reviewer, "买家历史可疑", now=world.now)
    last = ChainLink.objects.filter(chain=f"claim:{claim.pk}").order_by("-seq").first()
    assert (last.table, last.row_id) == ("claims.claimnote", note.pk)
    behind_the_applications_back("UPDATE claims_claimnote SET text = %s WHERE id = %s", ["没问题", note.pk])
    code, output = verify_command("--claim", claim.claim_id)
    assert code == 1 and f"claims.claimnote {note.pk}: the row's content no longer matches" in output


def test_r_aud_1_premiums_without_a_claim_chain_per_shop(world):
    world.delivered_order()
    world.delivered_order()
    premiums = Entry.objects.filter(shop=world.shop, kind=EntryKind.PREMIUM_CHARGED, claim=None)
    links = ChainLink.objects.filter(chain=f"shop:{world.shop.pk}", table="ledger.entry")
    assert premiums.count() >= 2
    assert set(links.values_list("row_id", flat=True)) == set(premiums.values_list("pk", flat=True))


def test_r_aud_1_the_serialization_is_the_documented_one(world):
    claim = world.approved()
    decision = claim.decisions.get()
    body = canonical.serialize(canonical.content("claims.decision", decision)).decode()
    assert body.startswith('{"approved_amount":"199.00","automatic":false,"claim_id":')
    assert f'"decided_at":"{decision.decided_at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S.%f}Z"' in body
    assert " " not in body.replace("performance_fault", "")
    assert canonical.content("ledger.entry", Entry(amount=Decimal("7.5"), pk=1))["amount"] == "7.50"


def test_r_aud_1_an_untouched_world_verifies_clean(world):
    world.in_state(S.REFUNDED)
    world.in_state(S.REJECTED)
    code, output = verify_command()
    assert code == 0, output
    assert "all match" in output
    assert not ChainHead.objects.filter(verified_at=None).exists()
    assert set(ChainHead.objects.values_list("verified_ok", flat=True)) == {True}


def test_r_aud_1_a_decision_rewritten_behind_the_applications_back_is_named(world):
    claim = world.in_state(S.REJECTED)
    untouched = world.in_state(S.REJECTED)
    decision = claim.decisions.get()
    behind_the_applications_back(
        "UPDATE claims_decision SET reason = %s WHERE id = %s", ["证据充分，予以赔付", decision.pk]
    )
    code, output = verify_command()
    assert code == 1
    assert f"claim:{claim.pk}#" in output and f"claims.decision {decision.pk}: " in output
    assert "content no longer matches" in output
    assert f"claim:{untouched.pk}" not in output
    assert ChainHead.objects.get(chain=f"claim:{claim.pk}").verified_ok is False
    assert ChainHead.objects.get(chain=f"claim:{untouched.pk}").verified_ok is True
    code, output = verify_command("--claim", untouched.claim_id)
    assert code == 0, output


def test_r_aud_1_a_removed_or_slipped_in_row_is_named(world):
    claim = world.in_state(S.AWAITING_RETURN)
    step = history(claim).last()
    behind_the_applications_back("DELETE FROM audit_transitionlog WHERE id = %s", [step.pk])
    code, output = verify_command("--claim", claim.claim_id)
    assert code == 1 and f"audit.transitionlog {step.pk}: the row was removed" in output
    Decision.objects.bulk_create(  # bulk_create skips the model's save, as raw SQL would
        [Decision(claim=claim, outcome="approve", decided_at=world.now, role="reviewer", reason="slipped in")]
    )
    slipped = claim.decisions.get(reason="slipped in")
    code, output = verify_command("--claim", claim.claim_id)
    assert f"claims.decision {slipped.pk}: the row is in no chain" in output


def test_r_aud_1_daily_root_kept_published_and_checked(world, settings):
    platform = issue_client("tmall-roots", webhook_url="https://platform.example/hooks")[0]
    insurer = issue_client(
        "insurer-roots", role="insurer", insurer_code=world.insurer.code, webhook_url="https://ins.example/h"
    )[0]
    merchant = issue_client("erp-roots", role="merchant", shop_id=world.shop.shop_id, webhook_url="https://m.ex/h")[0]
    claim = world.approved()
    today = shanghai_date(ChainHead.objects.get(chain=f"claim:{claim.pk}").at)
    with pytest.raises(ValueError):
        chain.make_daily_root(today)  # the day is not over
    tomorrow = chain.day_end(today) + dt.timedelta(minutes=5)
    root, deliveries = publish_daily_root(now=tomorrow)
    assert root.day == today and root.chains == ChainHead.objects.count()
    assert root.root == canonical.merkle_root(
        [canonical.leaf(head.chain, head.digest) for head in ChainHead.objects.order_by("chain")]
    )
    sent = WebhookDelivery.objects.filter(event_type="audit.root")
    assert {d.client_id for d in sent} == {platform.pk, insurer.pk} and merchant.pk not in {d.client_id for d in sent}
    assert sent.first().payload["data"] == {"day": today.isoformat(), "root": root.root}
    again, more = publish_daily_root(now=tomorrow)
    assert again == root and more == [] and DailyRoot.objects.count() == 1
    assert verify_command()[0] == 0
    behind_the_applications_back("UPDATE audit_dailyroot SET root = %s WHERE id = %s", ["f" * 64, root.pk])
    code, output = verify_command()
    assert code == 1 and f"root:{today}" in output and "daily root does not match" in output


def test_r_aud_1_the_backfill_chains_rows_written_before_the_chains(world):
    claim = world.in_state(S.REFUNDED)
    world.delivered_order()
    count = ChainLink.objects.count()
    # As the database was before the chains existed.
    behind_the_applications_back("DELETE FROM audit_chainlink", [])
    behind_the_applications_back("DELETE FROM audit_chainhead", [])
    importlib.import_module("audit.migrations.0006_backfill_chains").backfill(django_apps, None)
    assert ChainLink.objects.count() == count
    assert ChainHead.objects.filter(chain=f"claim:{claim.pk}").exists()
    assert verify_command()[0] == 0
