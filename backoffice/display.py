"""Small pieces of markup the admin lists share: state badges, flag badges, links, countdowns."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .review import countdown


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
