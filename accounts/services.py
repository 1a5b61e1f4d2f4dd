"""Binding a person to their role (domain.md §1); the role decides their admin group."""

from django.contrib.auth.models import Group, User
from django.db import transaction

from catalogue.models import Insurer
from merchants.models import Shop

from .models import Membership
from .roles import ROLE_PERMISSIONS

# Each back-office role has a group of the same name, holding the permissions of accounts/roles.py.
STAFF_GROUPS = tuple(ROLE_PERMISSIONS)


@transaction.atomic
def bind(user: User, role: str, *, insurer: Insurer | None = None, shop: Shop | None = None) -> Membership:
    """Give `user` their role and its binding, the matching admin group, and admin access only
    for staff roles: a merchant never gets into the admin."""
    membership = Membership.objects.filter(user=user).first() or Membership(user=user)
    membership.role, membership.insurer, membership.shop = role, insurer, shop
    membership.full_clean(exclude=["user"])
    membership.save()
    sync_group(user, role)
    return membership


def sync_group(user: User, role: str) -> None:
    groups = Group.objects.filter(name__in=STAFF_GROUPS)
    user.groups.remove(*[g for g in groups if g.name != role])
    if role in STAFF_GROUPS:
        # A group deleted by hand comes back empty: the person then has no permissions, not an error.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.is_staff = role in STAFF_GROUPS or user.is_superuser
    type(user).objects.filter(pk=user.pk).update(is_staff=user.is_staff)
