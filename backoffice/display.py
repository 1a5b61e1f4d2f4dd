"""Small pieces of markup the admin lists share: state badges, flag badges, links, countdowns."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from catalogue.taxonomy import Reason
from claims.choices import ClaimStatus as S
from claims.choices import Kind
from claims.workflow import SLA_WARNING_SHARE
from kernel.timeutil import shanghai_date


def countdown(claim, now):
    """Time left to the review SLA (R-REV-1): `tone` is ok, warn (≥ 80 % used), breached, or paused
    while the buyer gathers evidence."""
    if claim.status == S.EVIDENCE_REQUESTED:
        return {"tone": "paused", "seconds": None, "text": _("paused: waiting for evidence")}
    if claim.status != S.SUBMITTED or claim.review_due_at is None:
        return None
    sla = dt.timedelta(hours=claim.review_sla_hours)
    left = claim.review_due_at - now
    if left <= dt.timedelta(0):
        tone = "breached"
    elif left <= sla * (1 - SLA_WARNING_SHARE):
        tone = "warn"
    else:
        tone = "ok"
    return {
        "tone": tone,
        "seconds": int(left.total_seconds()),
        "warn_at": int((sla * (1 - SLA_WARNING_SHARE)).total_seconds()),
        "text": duration_text(left),
        "due": claim.review_due_at,
    }


def duration_text(delta):
    seconds = int(delta.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{sign}{hours}h {minutes:02d}m"


def reason_label(value):
    return Reason(value).label if value in Reason.values else value


def request_summary(claim):
    """The buyer's reason and whether the parcel comes back, in one short cell of a list."""
    kind = _("with return") if claim.kind == Kind.RETURN_REFUND else _("refund only")
    return format_html('{} <span class="quiet">· {}</span>', reason_label(claim.reason), kind)


def day(moment):
    """A date and time in a list cell as its day in Shanghai: a list is read for order, not minutes."""
    return shanghai_date(moment).isoformat() if moment else "—"


def clipped(text):
    """Long free text in a list cell: its start on one line, all of it on hover."""
    return format_html('<span class="zb-clip" title="{}">{}</span>', text, text)


def state_badge(obj, field="status"):
    value = getattr(obj, field)
    label = getattr(obj, f"get_{field}_display")()
    return format_html('<span class="zb-state zb-state-{}">{}</span>', value, label)


def flag_badges(claim):
    return format_html_join(
        " ",
        '<span class="zb-flag zb-flag-{}" title="{}">{}</span>',
        ((f.code, f.detail, f.get_code_display()) for f in claim.flags.all()),
    )


def admin_link(obj, text=None, view="change"):
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


def claim_link(claim):
    return admin_link(claim, claim.claim_id) if claim else "—"


def time_left(claim, now=None):
    left = countdown(claim, now or timezone.now())
    if left is None:
        return "—"
    return format_html(
        '<span class="zb-countdown zb-{}" data-seconds="{}" data-warn="{}">{}</span>',
        left["tone"],
        "" if left["seconds"] is None else left["seconds"],
        left.get("warn_at", ""),
        left["text"],
    )
