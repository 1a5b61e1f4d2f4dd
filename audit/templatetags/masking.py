from django import template

from audit.masking import masked as mask

register = template.Library()


@register.filter
def masked(value, field):
    """`{{ shop.payout_account|masked:"payout_account" }}`: the value as audit.masking shows it."""
    return mask(field, value)
