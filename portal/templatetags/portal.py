from decimal import Decimal

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.html import format_html

from audit.actors import Channel, Role
from catalogue.taxonomy import ProblemCode, Reason
from claims.choices import ClaimStatus
from merchants.models import Shop

register = template.Library()


@register.filter
def money(value):
    """¥199.00; an amount not (yet) known shows as a dash."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(value):,.2f}"


@register.filter
def time_tag(value):
    """<time datetime="(ISO 8601)">Y-m-d H:i</time> in local time. One conversion for both: the
    `date` filter twice per value costs more than the rest of a list row."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M"))


@register.filter
def percent(value):
    """A rate such as 0.0150 as 1.50 %."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value) * 100:.2f} %"


@register.filter
def reason_label(code):
    """The buyer's refund reason in words; a platform reason the catalogue does not know as is."""
    return Reason(code).label if code in Reason.values else code


@register.filter
def problem_label(code):
    return ProblemCode(code).label if code in ProblemCode.values else code


@register.filter
def claim_status(code):
    return ClaimStatus(code).label if code in ClaimStatus.values else code or "—"


@register.filter
def role_label(code):
    """Who acted, by role only: staff identities are never shown to merchants (api.md)."""
    return Role(code).label if code in Role.values else code


@register.filter
def channel_label(code):
    return Channel(code).label if code in Channel.values else code


@register.filter
def shop_field_label(name):
    try:
        return Shop._meta.get_field(name).verbose_name
    except FieldDoesNotExist:  # a field since renamed: its stored name is still worth showing
        return name


# Pages that belong to a section of the menu without being its list.
SECTION_OF = {
    "claim": "claims",
    "remind_buyer": "claims",
    "confirm_receipt": "claims",
    "reject_receipt": "claims",
    "reject_receipt_confirm": "claims",
    "report_claim_buyer": "claims",
    "policy": "policies",
    "report_policy_buyer": "policies",
    "invoice": "invoices",
    "invoice_request": "invoices",
    "apply": "enrolment",
}


@register.simple_tag(takes_context=True)
def section(context):
    """The menu entry the current page belongs to (marked aria-current)."""
    match = context.request.resolver_match
    name = match.url_name if match else ""
    return SECTION_OF.get(name, name)
