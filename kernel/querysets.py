from typing import Self, TypeVar

from django.db import models

from .actors import INSURER_ROLES, Actor, Role

_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """One scoping rule for every interface (domain.md §1): merchants see their shop, insurer
    staff and insurer clients their insurer, platform staff and the platform everything.
    A role the rule does not know sees nothing."""

    shop_field = "shop_id"
    insurer_field = "insurer_id"

    def for_merchant(self, shop_id: int | None) -> Self:
        return self.filter(**{self.shop_field: shop_id})

    def for_insurer(self, insurer_id: int | None) -> Self:
        return self.filter(**{self.insurer_field: insurer_id})

    def for_actor(self, actor: Actor) -> Self:
        if actor.role == Role.MERCHANT:
            return self.for_merchant(actor.shop_id) if actor.shop_id else self.none()
        if actor.role in INSURER_ROLES:
            return self.for_insurer(actor.insurer_id) if actor.insurer_id else self.none()
        if actor.role in (Role.SERVICE_STAFF, Role.PLATFORM, Role.TIMER, Role.SYSTEM):
            return self
        return self.none()
