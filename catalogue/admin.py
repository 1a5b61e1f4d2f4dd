"""Insurers, plans and holidays: reference data. Plans are data, not code (domain.md §2); their
changes never alter cases in flight, which carry their own copies of the numbers."""

from django.contrib import admin

from backoffice.scoping import ScopedAdmin

from .models import Holiday, Insurer, Plan, ProblemCode


class ReferenceAdmin(ScopedAdmin):
    """Reference data is the same for everyone who may see it."""

    def scope(self, queryset, actor):
        return queryset


@admin.register(Insurer)
class InsurerAdmin(ReferenceAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class ProblemCodeInline(admin.TabularInline):
    """R-PLAN-1: the plan's problem taxonomy, one row per code; staff add codes here."""

    model = ProblemCode
    fields = ("reason", "code", "label_zh_hans", "label_en", "position")
    extra = 1


@admin.register(Plan)
class PlanAdmin(ReferenceAdmin):
    list_display = ("code", "name", "coverage_hours", "review_sla_hours", "fast_lane_limit", "base_rate")
    filter_horizontal = ("insurers",)
    search_fields = ("code", "name")
    inlines = (ProblemCodeInline,)
    fieldsets = (
        (None, {"fields": ("code", "name", "insurers", "qualifying_reasons")}),
        (
            "R-WIN-1, R-REV, R-RET, R-PAY",
            {
                "fields": (
                    "coverage_hours",
                    "review_sla_hours",
                    "evidence_response_hours",
                    "return_tracking_hours",
                    "merchant_receipt_hours",
                    "refund_due_hours",
                    "return_shipping_allowance",
                    "fast_lane_limit",
                    "fast_lane_audit_share",
                    "appeal_days",
                )
            },
        ),
        (
            "R-ABUSE, R-PEN, R-EXIT, R-INV",
            {
                "fields": (
                    "abuse_window_days",
                    "abuse_claim_count",
                    "non_performance_points",
                    "rejoin_on_day",
                    "invoice_working_days",
                )
            },
        ),
        (
            "R-RATE-1",
            {
                "fields": (
                    "base_rate",
                    "rate_floor",
                    "rate_ceiling",
                    "industry_claim_rate",
                    "industry_loss_ratio",
                )
            },
        ),
    )


@admin.register(ProblemCode)
class ProblemCodeAdmin(ReferenceAdmin):
    """R-PLAN-1: service staff add a plan's problem codes; a code decisions already name is kept
    (there is no delete for staff), so its label stays readable."""

    list_display = ("code", "plan", "reason", "label_zh_hans", "label_en", "position")
    list_filter = ("plan", "reason")
    list_select_related = ("plan",)
    search_fields = ("code", "label_zh_hans", "label_en")
    fields = ("plan", "reason", "code", "label_zh_hans", "label_en", "position")

    def get_readonly_fields(self, request, obj=None):
        return ("plan", "code") if obj else ()


@admin.register(Holiday)
class HolidayAdmin(ReferenceAdmin):
    """Non-working days for invoice deadlines (R-INV-2)."""

    list_display = ("date", "name")
    date_hierarchy = "date"
    ordering = ("-date",)
