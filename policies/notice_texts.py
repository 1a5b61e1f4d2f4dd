"""How the invoice events read (R-NOTE-1), registered with notices.texts: in the reader's
language when read, with the status's label."""

from typing import Any

from django.utils.translation import gettext as _

from notices.texts import register

from .choices import InvoiceStatus


def _status(data: dict[str, Any], audience: str) -> str:
    return _("Invoice request %(no)s: %(status)s.") % {
        "no": data["invoice_no"],
        "status": InvoiceStatus(data["status"]).label,
    }


for event_type in ("invoice.requested", "invoice.issued", "invoice.shipped", "invoice.refused"):
    register(event_type)(_status)


@register("invoice.late")
def late(data: dict[str, Any], audience: str) -> str:
    return _("Invoice request %s is late: not issued within its working days.") % data["invoice_no"]
