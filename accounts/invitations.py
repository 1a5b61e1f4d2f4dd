"""Onboarding by e-mail: service staff invite a shop's first user, a shop's user invites
colleagues; a one-time, expiring sign-up link lets the person set a password and binds them to
the shop. Every invitation and acceptance is audited (audit.services.record_transition)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from audit.services import record_transition
from kernel.actors import Actor, Channel, Role
from kernel.errors import Conflict, NotFound, RoleRefused, RuleViolation
from kernel.tasks import enqueue
from merchants.models import Shop

from .models import Invitation
from .services import bind


class InvitationTokens(PasswordResetTokenGenerator):
    """Django's password-reset tokens, keyed on the invitation: valid for PASSWORD_RESET_TIMEOUT,
    and spent once accepted (the acceptance time is part of the hash)."""

    key_salt = "zhibao.accounts.invitations"

    def _make_hash_value(self, user: Invitation, timestamp: int) -> str:  # type: ignore[override]
        return f"{user.pk}{user.email}{user.accepted_at}{timestamp}"


tokens = InvitationTokens()


def invite(shop: Shop, email: str, actor: Actor, *, language: str = "", now: dt.datetime | None = None) -> Invitation:
    """Service staff invite anyone to a shop; a merchant only to its own shop. An address that
    already belongs to a user of another shop (or of this one) is refused: one person, one shop."""
    allowed = actor.role == Role.SERVICE_STAFF or (actor.role == Role.MERCHANT and actor.shop_id == shop.pk)
    if not allowed or actor.user_id is None:  # a person invites, never a system: the audit names them
        raise RoleRefused(_("Only service staff or the shop's own users may invite people to it."))
    email = User.objects.normalize_email((email or "").strip()).lower()
    if not email:
        raise RuleViolation(_("Give the person's e-mail address."), code="email_missing", fields={"email": []})
    existing = User.objects.filter(email__iexact=email).select_related("membership").first()
    if existing is not None:
        membership = getattr(existing, "membership", None)
        if membership is not None and membership.shop_id == shop.pk:
            raise Conflict(_("%s already has a login for this shop.") % email, code="already_member")
        raise Conflict(_("%s is already a user of another shop or of the back office.") % email, code="email_taken")
    now = now or timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            shop=shop,
            language=language or shop.language,
            invited_by_id=actor.user_id,
            invited_at=now,
        )
        record_transition(invitation, transition="invite", source=None, target="invited", actor=actor, at=now)
        enqueue("accounts.tasks.send_invitation", invitation.pk)
    return invitation


def link_parts(invitation: Invitation) -> tuple[str, str]:
    """The two parts of the sign-up link's path (/portal/join/<uid>/<token>/)."""
    return urlsafe_base64_encode(force_bytes(invitation.pk)), tokens.make_token(invitation)  # type: ignore[arg-type]


def open_invitation(uid: str, token: str) -> Invitation:
    """The invitation a link stands for, refused when it is expired, used or forged."""
    try:
        invitation = Invitation.objects.select_related("shop").get(pk=int(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError, Invitation.DoesNotExist):
        raise NotFound(_("This sign-up link is not valid."), code="invalid_link") from None
    if invitation.accepted_at is not None:
        raise Conflict(_("This sign-up link was already used: sign in instead."), code="link_used")
    if not tokens.check_token(invitation, token):  # type: ignore[arg-type]
        raise Conflict(_("This sign-up link has expired: ask for a new invitation."), code="link_expired")
    return invitation


def accept(uid: str, token: str, password1: str, password2: str, *, now: dt.datetime | None = None) -> User:
    """Set the password, make the login (the e-mail is the user name) and bind it to the shop."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = open_invitation(uid, token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise Conflict(_("This sign-up link was already used: sign in instead."), code="link_used")
        if password1 != password2:
            raise RuleViolation(
                _("The two passwords differ."), code="password_mismatch", fields={"password2": [_("Not the same.")]}
            )
        if User.objects.filter(username__iexact=invitation.email).exists():
            raise Conflict(_("%s is already a user.") % invitation.email, code="email_taken")
        user = User(username=invitation.email, email=invitation.email)
        try:
            validate_password(password1, user)
        except ValidationError as error:
            raise RuleViolation(
                " ".join(error.messages), code="weak_password", fields={"password1": error.messages}
            ) from error
        user.set_password(password1)
        user.save()
        bind(user, Role.MERCHANT, shop=invitation.shop)
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=now, user=user)
        actor = Actor.for_user(user, Channel.PORTAL)
        record_transition(invitation, transition="accept", source="invited", target="accepted", actor=actor, at=now)
    return user


def send_invitation(invitation_id: int) -> None:
    """The invitation e-mail, in the invitation's language (subject and body)."""
    invitation = Invitation.objects.select_related("shop", "invited_by").get(pk=invitation_id)
    uid, token = link_parts(invitation)
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("portal:join", args=[uid, token])
    with translation.override(invitation.language):
        subject = f"[{_('Zhibao')}] " + _("You are invited to the merchant portal of %s") % invitation.shop.name
        body = "\n".join(
            [
                _("%(who)s invited you to the Zhibao merchant portal of %(shop)s.")
                % {"who": invitation.invited_by.get_username(), "shop": invitation.shop.name},
                "",
                _("Set your password here (the link works once, for %(days)s days):")
                % {"days": settings.PASSWORD_RESET_TIMEOUT // 86400},
                link,
            ]
        )
    mail.EmailMessage(subject, body, to=[invitation.email]).send()
