"""Service figures (R-KPI-1): charts drawn on the server as inline SVG, and each figure as CSV.

The numbers come from claims.figures.service_figures over querysets scoped to the viewer, so an
insurer's staff see their insurer's figures only."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogue.models import Insurer, Plan
from claims.figures import lowest_rated, service_figures
from claims.models import Claim
from kernel import replica
from kernel.csv import csv_response
from kernel.money import to_fen
from kernel.timeutil import shanghai_date, shanghai_midnight
from ledger.models import Entry
from merchants.models import Shop

from .display import reason_label
from .scoping import actor_for

GROUP_CHOICES = [("plan", gettext_lazy("Plan")), ("insurer", gettext_lazy("Insurer")), ("shop", gettext_lazy("Shop"))]


class FiguresForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    plan = forms.ModelChoiceField(Plan.objects.all(), label=gettext_lazy("Plan"), required=False)
    insurer = forms.ModelChoiceField(Insurer.objects.none(), label=gettext_lazy("Insurer"), required=False)
    group = forms.ChoiceField(label=gettext_lazy("Per"), choices=GROUP_CHOICES, required=False)

    def __init__(self, data, *, insurers):
        today = shanghai_date(timezone.now())
        defaults = {"start": today - dt.timedelta(days=29), "end": today, "group": "plan"}
        super().__init__({**{k: str(v) for k, v in defaults.items()}, **data.dict()})
        self.fields["insurer"].queryset = insurers

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


@dataclass
class Figure:
    key: str
    title: str
    columns: list  # (header, row key, kind) — kind: share | hours | money | count | ratio
    rows: list
    chart: str = ""


def dashboard(request):
    if not request.user.has_perm("backoffice.view_figures"):
        raise PermissionDenied
    actor = actor_for(request)
    claims = Claim.objects.for_actor(actor)
    entries = Entry.objects.for_actor(actor)
    insurers = Insurer.objects.filter(Q(pk__in=claims.values("insurer_id")) | Q(pk__in=entries.values("insurer_id")))
    form = FiguresForm(request.GET, insurers=insurers)
    figures = []
    if form.is_valid():
        data = form.cleaned_data
        for name in ("plan", "insurer"):
            if data[name]:
                claims = claims.filter(**{name: data[name]})
                entries = entries.filter(**{name: data[name]})
        start = shanghai_midnight(data["start"])
        end = shanghai_midnight(data["end"] + dt.timedelta(days=1))
        with replica.reads():  # many rows read, none written: the replica's work when there is one
            figures = build(start, end, data["group"] or "plan", claims, entries)
        wanted = request.GET.get("export")
        if wanted:
            figure = next((f for f in figures if f.key == wanted), None)
            if figure is None:
                raise Http404(_("Unknown figure."))
            return export(figure, data)
    context = {
        **admin.site.each_context(request),
        "title": _("Service figures"),
        "form": form,
        "figures": figures,
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "backoffice/figures.html", context)


def build(start, end, group, claims, entries):
    figures = _claim_figures(start, end, group, claims, entries)
    figures += _satisfaction(start, end, group, claims, figures[0].rows)
    return figures


def _satisfaction(start, end, group, claims, chosen):
    """R-KPI-2: the average rating and the number of ratings per group, and the lowest-rated claims."""
    rated = [r for r in chosen if r["buyer_ratings"] or r["merchant_ratings"]]
    per_group = Figure(
        "satisfaction",
        _("Satisfaction: average rating (1–5) and number of ratings"),
        [
            (_("buyer ratings"), "buyer_ratings", "count"),
            (_("buyer average"), "buyer_rating_avg", "rating"),
            (_("merchant ratings"), "merchant_ratings", "count"),
            (_("merchant average"), "merchant_rating_avg", "rating"),
        ],
        rated,
    )
    per_group.chart = bar_chart(per_group.title, rated, [per_group.columns[1], per_group.columns[3]])
    period = claims.filter(opened_at__gte=start, opened_at__lt=end)
    lowest = [
        {
            "label": rating.claim.claim_id,
            "shop": f"{rating.claim.shop.name} ({rating.claim.shop.shop_id})",
            "source": rating.get_source_display(),
            "rating": rating.rating,
            "comment": rating.comment,
        }
        for rating in lowest_rated(period)
    ]
    lowest_figure = Figure(
        "lowest_rated",
        _("Lowest-rated claims"),
        [
            (_("shop"), "shop", "text"),
            (_("rated by"), "source", "text"),
            (_("rating"), "rating", "count"),
            (_("comment"), "comment", "text"),
        ],
        lowest,
    )
    return [per_group, lowest_figure]


def _claim_figures(start, end, group, claims, entries):
    rows = {g: service_figures(start, end, group=g, claims=claims, entries=entries) for g in {group, "plan", "shop"}}
    by_reason = service_figures(start, end, group="reason", claims=claims, entries=entries)
    names = _names(group, rows[group])
    names.update(_names("shop", rows["shop"]))
    names.update(_names("plan", rows["plan"]))
    chosen = [{**r, "label": names[(group, r["id"])]} for r in rows[group]]
    for r in chosen:
        r["disputes_open"] = r["disputes"] - r["disputes_upheld"] - r["disputes_overturned"]
    reasons = [{**r, "label": reason_label(r["id"])} for r in by_reason]
    shops = [{**r, "label": names[("shop", r["id"])]} for r in rows["shop"]]
    plans = [{**r, "label": names[("plan", r["id"])]} for r in rows["plan"]]
    figures = [
        Figure(
            "sla",
            _("SLA compliance: share decided within the review SLA, late undecided claims counted against it"),
            [(_("decided"), "claims_decided", "count"), (_("within SLA"), "sla_compliance", "share")],
            chosen,
        ),
        Figure(
            "decision_time",
            _("Time to decision (hours), median and 90th percentile"),
            [(_("p50"), "decision_hours_p50", "hours"), (_("p90"), "decision_hours_p90", "hours")],
            chosen,
        ),
        Figure(
            "payout_time",
            _("Time to payout (hours), median and 90th percentile"),
            [(_("p50"), "payout_hours_p50", "hours"), (_("p90"), "payout_hours_p90", "hours")],
            chosen,
        ),
        Figure(
            "approval_by_reason",
            _("Approval rate by reason"),
            [(_("decided"), "claims_decided", "count"), (_("approval rate"), "approval_rate", "share")],
            reasons,
        ),
        Figure(
            "loss_ratio_shop",
            _("Loss ratio per shop"),
            [
                (_("premiums"), "premiums", "money"),
                (_("claims paid"), "claims_paid", "money"),
                (_("loss ratio"), "loss_ratio", "ratio"),
            ],
            shops,
        ),
        Figure(
            "loss_ratio_plan",
            _("Loss ratio per plan"),
            [
                (_("premiums"), "premiums", "money"),
                (_("claims paid"), "claims_paid", "money"),
                (_("loss ratio"), "loss_ratio", "ratio"),
            ],
            plans,
        ),
        Figure(
            "disputes",
            _("Receipt disputes and their outcomes"),
            [
                (_("upheld"), "disputes_upheld", "count"),
                (_("overturned"), "disputes_overturned", "count"),
                (_("waiting"), "disputes_open", "count"),
            ],
            chosen,
        ),
        Figure(
            "all",
            _("All figures"),
            [
                (_("claims opened"), "claims_opened", "count"),
                (_("claims decided"), "claims_decided", "count"),
                (_("approval rate"), "approval_rate", "share"),
                (_("within SLA"), "sla_compliance", "share"),
                (_("decision p50 h"), "decision_hours_p50", "hours"),
                (_("decision p90 h"), "decision_hours_p90", "hours"),
                (_("payout p50 h"), "payout_hours_p50", "hours"),
                (_("payout p90 h"), "payout_hours_p90", "hours"),
                (_("premiums"), "premiums", "money"),
                (_("claims paid"), "claims_paid", "money"),
                (_("loss ratio"), "loss_ratio", "ratio"),
                (_("disputes"), "disputes", "count"),
                (_("flagged buyers"), "flagged_buyers", "count"),
            ],
            chosen,
        ),
    ]
    charted = {"sla": 1, "decision_time": 0, "payout_time": 0, "approval_by_reason": 1, "disputes": 0}
    for figure in figures:
        if figure.key in charted:
            columns = figure.columns[charted[figure.key] :]
            figure.chart = bar_chart(figure.title, figure.rows, columns)
        elif figure.key.startswith("loss_ratio"):
            figure.chart = bar_chart(figure.title, figure.rows, figure.columns[2:])
    return figures


def _names(group, rows):
    ids = [r["id"] for r in rows]
    if group == "plan":
        found = {p.pk: p.name for p in Plan.objects.filter(pk__in=ids)}
    elif group == "insurer":
        found = {i.pk: i.name for i in Insurer.objects.filter(pk__in=ids)}
    else:
        found = {s.pk: f"{s.name} ({s.shop_id})" for s in Shop.objects.filter(pk__in=ids)}
    return {(group, i): found.get(i, str(i)) for i in ids}


def shown(value, kind):
    """A figure as people read it: shares in per cent, hours with one decimal, money in yuan."""
    if value is None:
        return "—"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f}"
    if kind == "money":
        return f"¥{to_fen(value)}"
    if kind == "rating":
        return f"{value:.2f}"
    return str(value)


LABEL_WIDTH, PLOT_WIDTH, VALUE_WIDTH, BAR_HEIGHT, GAP = 220, 460, 80, 14, 10
BAR_CLASSES = ("zb-bar", "zb-bar-2", "zb-bar-3")


def bar_chart(title, rows, columns):
    """Horizontal bars, one group per row and one bar per column, drawn as inline SVG."""
    if not rows:
        return ""
    kinds = {kind for _h, _k, kind in columns}
    fixed = {frozenset({"share"}): 1, frozenset({"rating"}): 5}.get(frozenset(kinds))
    top = fixed or max((float(r[key] or 0) for r in rows for _h, key, _kind in columns), default=0) or 1
    group_height = BAR_HEIGHT * len(columns) + GAP
    height = group_height * len(rows) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    bars = []
    for i, row in enumerate(rows):
        y0 = GAP + i * group_height
        bars.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                LABEL_WIDTH - 8,
                y0 + BAR_HEIGHT * len(columns) / 2 + 4,
                row["label"][:28],
            )
        )
        for j, (header, key, kind) in enumerate(columns):
            value = row[key]
            length = 0 if value is None else max(1, round(float(value) / top * PLOT_WIDTH))
            y = y0 + j * BAR_HEIGHT
            bars.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
                    '<text x="{}" y="{}">{}</text>',
                    BAR_CLASSES[j % len(BAR_CLASSES)],
                    LABEL_WIDTH,
                    y,
                    length,
                    BAR_HEIGHT - 2,
                    header,
                    shown(value, kind),
                    LABEL_WIDTH + length + 4,
                    y + BAR_HEIGHT - 3,
                    shown(value, kind),
                )
            )
    legend = format_html_join(
        "",
        '<span class="zb-swatch {}"></span>{}',
        ((BAR_CLASSES[j % len(BAR_CLASSES)], header) for j, (header, _k, _kind) in enumerate(columns)),
    )
    return format_html(
        '<svg class="zb-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        '<title>{}</title><line class="zb-axis" x1="{}" y1="0" x2="{}" y2="{}"></line>{}</svg>'
        '<p class="help zb-legend">{}</p>',
        title,
        width,
        height,
        width,
        height,
        title,
        LABEL_WIDTH,
        LABEL_WIDTH,
        height,
        format_html_join("", "{}", ((b,) for b in bars)),
        legend,
    )


def export(figure, data):
    header = [_("group")] + [h for h, _k, _kind in figure.columns]
    rows = (
        [r["label"]] + [to_fen(r[key]) if kind == "money" else r[key] for _h, key, kind in figure.columns]
        for r in figure.rows
    )
    return csv_response(f"figures-{figure.key}-{data['start']}-{data['end']}", header, rows)
