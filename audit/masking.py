"""Masking what a role does not need in full: merchants' payout accounts, return addresses and
phones, buyers' identifiers. One helper serves the admin, the portal and their exports; a value
is shown in full only through `audit.services.disclose`, which records who saw it."""

from django.utils.translation import gettext_lazy as _

from kernel.actors import Role

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


# JSON bodies that copy these values: a notice's `data` and a webhook delivery's `payload` (the
# return address a buyer is sent). They are shown with `masked_body` and disclosed whole.
BODIES = ("data", "payload")

# The keys the services write these values under: the fields above, and the parts of the return
# address sent to a buyer (claims.services.return_address: "address", "contact", "phone").
BODY_KEYS = {**SENSITIVE, "address": mask_address, "phone": mask_phone}


def masked_body(value):
    """A JSON body with the value under every key of BODY_KEYS masked, at any depth.

    By key, not by looking for the shop's or the buyer's values in the text: a notice keeps the
    address the shop had when it was sent, and the shop may have changed it since (ShopChange),
    so its current values would miss the old one; the keys are fixed by the code that writes the
    bodies. Free text in a body (a reviewer's reason) is shown as typed."""
    if isinstance(value, dict):
        return {key: _masked_item(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked_body(item) for item in value]
    return value


def _masked_item(key, item):
    if isinstance(item, (dict, list)):
        return masked_body(item)
    if key in BODY_KEYS and item not in (None, ""):
        return BODY_KEYS[key](item)
    return item
