"""Onboarding by link: a shop's user invites a colleague; the one-time, expiring sign-up link
sets a password and binds the new login to the shop; merchants reset their password."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse

from accounts import invitations
from accounts.models import Invitation, Membership
from audit.services import history
from kernel.errors import Conflict, RoleRefused

pytestmark = pytest.mark.django_db
PASSWORD = "a-Long-enough-pass-2026"


def _link(mail):
    return re.search(r"(/portal/join/[^/]+/[^/\s]+/)", mail.body).group(1)


def test_a_shops_user_invites_a_colleague_who_signs_up_by_link_and_joins_the_shop(
    merchant_client, client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(
            reverse("portal:colleagues"), {"email": "colleague@example.com", "language": "en"}
        )
    assert response.status_code == 302
    [mail] = mailoutbox
    assert "Zhibao" in mail.subject and "[质保]" not in mail.subject
    merchant_client.logout()
    link = _link(mail)
    page = client.get(link).content.decode()
    assert "colleague@example.com" in page
    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == reverse("portal:home")
    user = User.objects.get(username="colleague@example.com")
    assert Membership.objects.get(user=user).shop == world.shop
    assert not user.is_staff
    assert client.get(reverse("portal:home")).status_code == 200  # signed in, in the portal
    invitation = Invitation.objects.get(email="colleague@example.com")
    assert (invitation.invited_by, invitation.user) == (world.merchant_user, user)
    assert invitation.accepted_at is not None
    logged = history(invitation).values_list("transition", "user_id")
    assert set(logged) == {("invite", world.merchant_user.pk), ("accept", user.pk)}
    # The link is one-time.
    again = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 409 and "already used" in again.content.decode()


def test_mismatched_passwords_are_refused_and_change_nothing(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.invite(world.shop, "new@example.com", world.staff)
    page = client.post(_link(mailoutbox[0]), {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert page.status_code == 200 and "The two passwords differ" in page.content.decode()
    assert not User.objects.filter(username="new@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_expired_link_is_refused(world, client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invite(world.shop, "late@example.com", world.staff)
    link = _link(mailoutbox[0])
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):
        page = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert page.status_code == 409 and "expired" in page.content.decode()
    assert not User.objects.filter(username="late@example.com").exists()


def test_a_forged_link_is_refused(client):
    page = client.get(reverse("portal:join", args=["MTIzNDU", "abc-def"]))
    assert page.status_code == 404 and "not valid" in page.content.decode()


def test_a_merchant_cannot_invite_to_another_shop_nor_an_address_already_used(world):
    with pytest.raises(RoleRefused):
        invitations.invite(world.other_shop, "x@example.com", world.merchant)
    world.merchant_user.email = "me@example.com"
    world.merchant_user.save()
    with pytest.raises(Conflict, match="already has a login"):
        invitations.invite(world.shop, "ME@example.com", world.merchant)
    assert not Invitation.objects.exists()


def test_the_colleagues_page_names_who_invited_whom(merchant_client, world):
    invitations.invite(world.shop, "pending@example.com", world.staff, now=world.now - dt.timedelta(days=1))
    page = merchant_client.get(reverse("portal:colleagues")).content.decode()
    assert "pending@example.com" in page and "staff" in page and "Not yet" in page


def test_a_merchant_resets_a_forgotten_password_in_the_portal(client, world, mailoutbox):
    world.merchant_user.email = "merchant@example.com"
    world.merchant_user.save()
    assert "Forgotten password" in client.get(reverse("portal:login")).content.decode()
    response = client.post(reverse("portal:password_reset"), {"email": "merchant@example.com"})
    assert response["Location"] == reverse("portal:password_reset_done")
    [mail] = mailoutbox
    link = re.search(r"https?://[^/]+(/portal/password-reset/\S+)", mail.body).group(1)
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response["Location"] == reverse("portal:password_reset_complete")
    world.merchant_user.refresh_from_db()
    assert world.merchant_user.check_password(PASSWORD)
