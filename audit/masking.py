"""Masking what a role does not need in full: merchants' payout accounts, return addresses and
phones, buyers' identifiers. One helper serves the admin, the portal and their exports; a value
is shown in full only through `audit.services.disclose`, which records who saw it."""

from django.utils.translation import gettext_lazy as _

from .actors import Role

STAR = "*"

# Who may see a masked value in full (each time recorded): the platform's service staff, who
# settle payouts, disputes and buyers' eligibility.
DISCLOSURE = {"disclose": (_("See a masked value in full"), {Role.SERVICE_STAFF})}


def mask_identifier(value):
    """'alipay-shop-a' → 'al*********-a': enough to tell two apart, not enough to use one."""
    value = str(value or "")
    if len(value) <= 4:
        return value[:1] + STAR * (len(value) - 1)
    return value[:2] + STAR * max(len(value) - 4, 3) + value[-2:]


def mask_phone(value):
    """'13912345678' → '139****5678', as Chinese services show a phone number."""
    value = str(value or "")
    if len(value) < 9:
        return mask_identifier(value)
    return value[:3] + STAR * (len(value) - 7) + value[-4:]


def mask_address(value):
    """The province and city stay (where the parcel goes); the street and number do not."""
    value = str(value or "")
    return value[:6] + STAR * 4 if value else ""


SENSITIVE = {
    "payout_account": mask_identifier,
    "buyer_id": mask_identifier,
    "payee": mask_identifier,
    "return_address": mask_address,
    "return_phone": mask_phone,
}


def masked(field, value):
    """The value of a sensitive field as lists and exports show it."""
    return SENSITIVE[field](value)
