"""What a notice says, rendered when it is read (R-NOTE-1): a notice stores its event and the
event's parameters, never text frozen in the language of whoever triggered it. Each app that
publishes an event registers how it reads, per audience, so a merchant is told "you rejected"
where insurer staff read "the merchant rejected". The apps below `notices` cannot be imported
from here, hence a registry filled by the publishing apps' `ready()`."""

from collections.abc import Callable
from typing import Any, Protocol

from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Renderable(Protocol):
    event_type: str
    audience: str
    data: Any
    message: str


Text = Callable[[dict[str, Any], str], str]
TEXTS: dict[str, Text] = {}
# What staff read for an event's name in the admin's lists and filters (issue 16 item 4); the API
# and the webhooks keep the name itself.
EVENT_LABELS = {
    "claim.opened": _("Claim opened"),
    "claim.decided": _("Claim decided"),
    "claim.status_changed": _("Claim moved on"),
    "claim.evidence_requested": _("Evidence requested"),
    "claim.return_address": _("Return address sent"),
    "claim.tracking_reminder": _("Buyer reminded to ship"),
    "claim.receipt_disputed": _("Parcel rejected"),
    "claim.refund_due": _("Refund due"),
    "claim.refund_overdue": _("Refund overdue"),
    "claim.paid": _("Claim paid"),
    "claim.closed": _("Claim closed"),
    "claim.appealed": _("Decision appealed"),
    "claim.appeal_resolved": _("Appeal resolved"),
    "claim.flagged": _("Claim flagged"),
    "claim.sla_breached": _("Review time exceeded"),
    "payout.failed": _("Payout refused"),
    "policy.issued": _("Policy issued"),
    "invoice.requested": _("Invoice requested"),
    "invoice.issued": _("Invoice issued"),
    "invoice.shipped": _("Invoice sent"),
    "invoice.refused": _("Invoice refused"),
    "invoice.late": _("Invoice late"),
    "bordereau.ready": _("Bordereau ready"),
}


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def register(event_type: str) -> Callable[[Text], Text]:
    def add(text: Text) -> Text:
        TEXTS[event_type] = text
        return text

    return add


def render(notice: Renderable, language: str | None = None) -> str:
    """The notice in the active language (or `language`), written for its audience. Rows stored
    before events were rendered, or whose parameters no longer fit, fall back to their stored
    message rather than fail the inbox."""
    text = TEXTS.get(notice.event_type)
    if text is None:
        return notice.message
    with translation.override(language or translation.get_language()):
        try:
            return text(notice.data or {}, notice.audience)
        except (KeyError, ValueError, TypeError):
            return notice.message
