"""Who is acting: a staff user, a merchant, an integration client, or a timer.

Every service takes an Actor; it decides what the actor may do (the workflow tables) and is
written into the audit trail with the channel it came through.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kernel.errors import NotFound, RoleRefused


class Role(models.TextChoices):
    REVIEWER = "reviewer", _("Reviewer")
    SUPERVISOR = "supervisor", _("Supervisor")
    SERVICE_STAFF = "service_staff", _("Service staff")
    MERCHANT = "merchant", _("Merchant")
    PLATFORM = "platform", _("Platform system")
    INSURER = "insurer", _("Insurer system")
    TIMER = "timer", _("Timer")
    SYSTEM = "system", _("System")


class Channel(models.TextChoices):
    ADMIN = "admin", _("Admin")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    TIMER = "timer", _("Timer")
    SYSTEM = "system", _("System")


INSURER_ROLES = {Role.REVIEWER, Role.SUPERVISOR, Role.INSURER}


@dataclass(frozen=True)
class Actor:
    role: str
    channel: str
    user_id: int | None = None
    client_id: int | None = None
    insurer_id: int | None = None
    shop_id: int | None = None
    label: str = ""

    @classmethod
    def for_user(cls, user: Any, channel: str) -> Self:
        """The actor for a logged-in person; a user without a membership has no role."""
        membership = getattr(user, "membership", None)
        if membership is None:
            role = Role.SERVICE_STAFF if user.is_superuser else ""
            return cls(role=role, channel=channel, user_id=user.pk, label=user.get_username())
        return cls(
            role=membership.role,
            channel=channel,
            user_id=user.pk,
            insurer_id=membership.insurer_id,
            shop_id=membership.shop_id,
            label=user.get_username(),
        )

    @classmethod
    def timer(cls, label: str = "process_deadlines") -> Self:
        return cls(role=Role.TIMER, channel=Channel.TIMER, label=label)

    @classmethod
    def system(cls, label: str = "system") -> Self:
        return cls(role=Role.SYSTEM, channel=Channel.SYSTEM, label=label)

    def in_scope(self, *, insurer_id: int | None = None, shop_id: int | None = None) -> bool:
        """Insurer-bound actors see their insurer only, merchants their shop only; others see all."""
        if self.role in INSURER_ROLES:
            return self.insurer_id is not None and self.insurer_id == insurer_id
        if self.role == Role.MERCHANT:
            return self.shop_id is not None and self.shop_id == shop_id
        return True


# What each action is called and which roles may take it: the workflow tables of each app.
ActionTable = Mapping[str, tuple[str | Promise, Collection[str]]]


def require(
    actor: Actor, action: str, table: ActionTable, *, insurer_id: int | None = None, shop_id: int | None = None
) -> None:
    """Refuse an action the actor's role may not take (403) or an object outside its scope (404)."""
    label, roles = table[action]
    if actor.role not in roles:
        raise RoleRefused(_("Your role may not do this: %(action)s.") % {"action": label})
    if not actor.in_scope(insurer_id=insurer_id, shop_id=shop_id):
        raise NotFound(_("Not found."))
