"""Internal notes on the review page (R-NOTE-2): written by the insurer's side and service staff,
kept with the claim's history, never shown to the merchant."""

from django.urls import reverse

from claims.models import ClaimNote

from .helpers import act_url, claim_url, seen_of


def _note(client, claim, text):
    page = client.get(claim_url(claim))
    return client.post(act_url(claim, "add_note"), {"seen": seen_of(page, "add_note"), "text": text}, follow=True)


def test_r_note_2_a_reviewer_writes_a_note_and_reads_it_on_the_review_page(world, login):
    claim = world.claim()
    page = _note(login(world.reviewer_user), claim, "买家电话确认：底座漏水").content.decode()
    assert "Note added to claim" in page
    assert "买家电话确认：底座漏水" in page.split('id="claim-notes"')[1]
    note = ClaimNote.objects.get()
    assert (note.role, note.channel, note.user_id) == ("reviewer", "admin", world.reviewer_user.pk)


def test_r_note_2_service_staff_write_notes_too(world, login):
    claim = world.claim()
    _note(login(world.staff_user), claim, "平台已联系商家")
    assert ClaimNote.objects.get().role == "service_staff"


def test_r_note_2_an_empty_note_is_refused_and_nothing_is_written(world, login):
    claim = world.claim()
    page = _note(login(world.reviewer_user), claim, "   ").content.decode()
    assert "Note added" not in page
    assert not ClaimNote.objects.exists()


def test_r_note_2_the_merchant_never_sees_a_note(world, login, client):
    claim = world.claim()
    _note(login(world.reviewer_user), claim, "内部：疑似人为损坏")
    client.logout()
    client.force_login(world.merchant_user)
    page = client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert claim.claim_id in page
    assert "疑似人为损坏" not in page
