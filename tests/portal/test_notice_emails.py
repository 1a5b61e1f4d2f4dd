"""R-NOTE-1: the merchant gets its notices by e-mail as well, only once they are committed, and
never another shop's."""

import pytest
from django.db import transaction

from claims import services as claims
from claims.choices import ClaimStatus as S
from merchants.models import Shop
from notices import services as notices
from notices.models import Audience, Notice


def test_r_note_1_a_merchant_notice_is_emailed_to_the_shop_after_commit(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    claim = world.in_state(S.AWAITING_RETURN)
    world.in_state(S.AWAITING_RETURN, shop=world.other_shop)
    with django_capture_on_commit_callbacks(execute=True):
        claims.remind_buyer(claim, world.merchant, now=world.now)
        assert mailoutbox == []  # nothing leaves before the commit
    [message] = mailoutbox  # sent by the e-mail queue's task, which the webhooks' task enqueued
    assert message.to == [world.shop.email]
    assert claim.claim_id in message.subject and claim.claim_id in message.body
    assert world.other_shop.name not in message.body


def test_r_note_1_nothing_is_emailed_for_a_change_that_rolled_back(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notices.publish("claim.opened", "Claim X opened.", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
            raise RuntimeError
    assert mailoutbox == []


def test_r_note_1_insurer_and_staff_notices_are_not_emailed_to_the_shop(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notices.publish(
            "claim.sla_breached",
            "Escalated.",
            shop_id=world.shop.pk,
            insurer_id=world.insurer.pk,
            audiences=(Audience.INSURER, Audience.STAFF),
        )
    assert mailoutbox == []


def test_one_email_per_shop_lists_its_notices(world, mailoutbox):
    kwargs = {"insurer_id": world.insurer.pk, "audiences": (Audience.MERCHANT,)}
    ids = [
        n.pk
        for message, shop in (("first", world.shop), ("second", world.shop), ("theirs", world.other_shop))
        for n in notices.publish("claim.opened", message, shop_id=shop.pk, **kwargs)
    ]
    assert notices.email_notices(ids) == 2
    ours = next(m for m in mailoutbox if m.to == [world.shop.email])
    assert "2" in ours.subject and "first" in ours.body and "second" in ours.body and "theirs" not in ours.body


def test_a_shop_without_an_email_address_reads_its_notices_in_the_portal_only(world, mailoutbox):
    Shop.objects.filter(pk=world.shop.pk).update(email="")
    [notice] = notices.publish(
        "claim.opened", "Claim X opened.", shop_id=world.shop.pk, insurer_id=None, audiences=(Audience.MERCHANT,)
    )
    assert notices.email_notices([notice.pk]) == 0
    assert mailoutbox == []
    assert Notice.objects.for_merchant(world.shop.pk).filter(pk=notice.pk).exists()
