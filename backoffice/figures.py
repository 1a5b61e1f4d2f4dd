"""Service figures (R-KPI-1): charts drawn on the server as inline SVG, and each figure as CSV.

The numbers come from the daily rollups (claims.figures.rolled_figures, claims.rollups) over
querysets scoped to the viewer, so an insurer's staff see their insurer's figures only, and the
page costs a few rows per day of the period whatever the number of claims."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogue.models import Insurer, Plan
from claims.figures import daily_series, lowest_rated, rolled_figures
from claims.models import Claim, Dimension, FiguresDay, MoneyDay
from claims.rollups import refresh_if_stale
from kernel import replica
from kernel.csv import csv_response
from kernel.money import to_fen
from kernel.timeutil import shanghai_date, shanghai_midnight
from merchants.models import Shop

from .charts import bar_chart, line_chart
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


@dataclass
class Scope:
    """What the viewer may see, filtered as the form asks: the rollups, the money, the claims."""

    rollups: object
    money: object
    claims: object

    def only(self, **ids):
        return Scope(self.rollups.filter(**ids), self.money.filter(**ids), self.claims.filter(**ids))


def dashboard(request):
    if not request.user.has_perm("backoffice.view_figures"):
        raise PermissionDenied
    actor = actor_for(request)
    refresh_if_stale()
    scope = Scope(
        FiguresDay.objects.for_actor(actor), MoneyDay.objects.for_actor(actor), Claim.objects.for_actor(actor)
    )
    insurers = Insurer.objects.filter(pk__in=scope.rollups.filter(dimension=Dimension.PLAN).values("insurer_id"))
    form = FiguresForm(request.GET, insurers=insurers)
    figures = []
    if form.is_valid():
        data = form.cleaned_data
        for name in ("plan", "insurer"):
            if data[name]:
                scope = scope.only(**{f"{name}_id": data[name].pk})
        with replica.reads():  # many rows read, none written: the replica's work when there is one
            figures = build(data["start"], data["end"], data["group"] or "plan", scope)
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


def build(first_day, last_day, group, scope):
    start = shanghai_midnight(first_day)
    end = shanghai_midnight(last_day + dt.timedelta(days=1))
    figures = _claim_figures(first_day, last_day, group, scope)
    figures += _satisfaction(start, end, group, scope.claims, figures[0].rows)
    figures.append(_trends(first_day, last_day, scope))
    return figures


def _trends(first_day, last_day, scope):
    """issue 15: the period day by day, as charts and as the table beside them (and its CSV)."""
    series = daily_series(first_day, last_day, rollups=scope.rollups, undecided=scope.claims)
    rows = [{**day, "label": day["id"].isoformat()} for day in series]
    figure = Figure(
        "daily",
        _("Day by day: claims opened on each day and what became of them"),
        [
            (_("opened"), "claims_opened", "count"),
            (_("decided"), "claims_decided", "count"),
            (_("at risk"), "at_risk", "count"),
            (_("within SLA"), "sla_compliance", "share"),
            (_("decision p50 h"), "decision_hours_p50", "hours"),
            (_("decision p90 h"), "decision_hours_p90", "hours"),
        ],
        rows,
    )
    span = {"span": f"{first_day} – {last_day}"}
    counts, share, hours = figure.columns[:3], figure.columns[3:4], figure.columns[4:]
    charts = [
        (
            _("Claims opened, decided and at risk per day"),
            _("Claims opened each day of %(span)s, how many were decided, how many reached 80 %% of their SLA.") % span,
            counts,
            None,
        ),
        (
            _("SLA compliance per day"),
            _("Share of each day's claims decided within the review SLA, %(span)s; a gap: nothing to judge.") % span,
            share,
            1,
        ),
        (
            _("Time to decision per day (hours), median and 90th percentile"),
            _("Median and 90th percentile hours from opening to decision of each day's claims, %(span)s.") % span,
            hours,
            None,
        ),
    ]
    figure.chart = format_html_join(
        "",
        "{}",
        ((line_chart(title, desc, rows, columns, fixed_top=top),) for title, desc, columns, top in charts),
    )
    return figure


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


def _claim_figures(first_day, last_day, group, scope):
    def figures_per(per, percentiles=False):
        return rolled_figures(
            first_day,
            last_day,
            group=per,
            rollups=scope.rollups,
            money=scope.money,
            undecided=scope.claims,
            percentiles=percentiles,
        )

    # Only the chosen grouping shows percentiles; the others are read for their counts and money.
    rows = {g: figures_per(g) for g in {"plan", "shop"} - {group}}
    rows[group] = figures_per(group, percentiles=True)
    by_reason = figures_per("reason")
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


def export(figure, data):
    header = [_("group")] + [h for h, _k, _kind in figure.columns]
    rows = (
        [r["label"]] + [to_fen(r[key]) if kind == "money" else r[key] for _h, key, kind in figure.columns]
        for r in figure.rows
    )
    return csv_response(f"figures-{figure.key}-{data['start']}-{data['end']}", header, rows)
