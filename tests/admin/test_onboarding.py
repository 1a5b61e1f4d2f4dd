"""Onboarding from the admin: staff invite a shop's first user by e-mail; the enrolment invite
no longer claims the merchant may apply when the shop has no login."""

import re

from django.contrib import messages

from accounts.models import Invitation
from audit.services import history

from ..factories import ShopFactory
from .test_staff_desk import post_action


def test_r_enr_1_inviting_a_shop_without_a_login_points_staff_at_inviting_its_first_user(world, login):
    shop = ShopFactory(shop_id="shop-new")
    client = login(world.staff_user)
    response = post_action(client, shop, "invite", plan=world.plan.pk, reason="邀请")
    said = " ".join(str(m) for m in messages.get_messages(response.wsgi_request))
    assert "may now apply" not in said
    assert "no portal login yet" in said and "Invite a user" in said


def test_staff_invite_a_shops_first_user_by_email_in_the_chosen_language(
    world, login, mailoutbox, django_capture_on_commit_callbacks
):
    shop = ShopFactory(shop_id="shop-new", name="新店")
    client = login(world.staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, shop, "invite_user", email="Owner@Example.com", language="zh-hans")
    assert response.status_code == 302
    invitation = Invitation.objects.get(shop=shop)
    assert (invitation.email, invitation.invited_by, invitation.accepted_at) == (
        "owner@example.com",
        world.staff_user,
        None,
    )
    [mail] = mailoutbox
    assert mail.to == ["owner@example.com"] and "新店" in mail.subject
    assert re.search(r"/portal/join/[^/]+/[^/\s]+/", mail.body)
    assert "[质保]" in mail.subject  # subject and body in the invitation's language
    assert list(history(invitation).values_list("transition", "user")) == [("invite", world.staff_user.pk)]


def test_staff_cannot_invite_an_address_that_is_already_another_shops_user(world, login, mailoutbox):
    world.merchant_user.email = "taken@example.com"
    world.merchant_user.save()
    shop = ShopFactory(shop_id="shop-new")
    client = login(world.staff_user)
    response = post_action(client, shop, "invite_user", email="taken@example.com", language="en")
    assert response.status_code in (200, 409) and "already a user of another shop" in response.content.decode()
    assert not Invitation.objects.exists() and mailoutbox == []
