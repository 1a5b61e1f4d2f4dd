"""Staff screens for payouts (R-PAY-6) and reconciliation (R-PAY-7); thin, they call the services."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction, ObjectActionsMixin, ReasonForm
from backoffice.scoping import ReadOnlyAdmin

from .choices import AttemptStatus
from .models import Mismatch, PayoutAttempt, ReconciliationDay
from .services import attempts, reconciliation


class RetryForm(ActionForm):
    confirm = forms.BooleanField(label=gettext_lazy("Yes: send a new transfer under a new out_biz_no"), required=True)


def _retry(attempt, actor, request, data):
    new = attempts.retry(attempt, actor)
    return _("A new transfer %(number)s is on its way.") % {"number": new.out_biz_no}


@admin.register(PayoutAttempt)
class PayoutAttemptAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    scope_through = "claim"
    list_display = ("out_biz_no", "claim", "kind", "amount", "status", "provider_reason", "created_at", "paid_at")
    list_filter = ("status", "kind")
    list_select_related = ("claim",)
    search_fields = ("=out_biz_no", "=claim__claim_id")
    readonly_fields = [f.name for f in PayoutAttempt._meta.fields]
    object_actions = (
        ObjectAction(
            "retry",
            gettext_lazy("Retry the transfer"),
            RetryForm,
            _retry,
            "payments.retry_payouts",
            states=(AttemptStatus.REFUSED,),
            help=gettext_lazy(
                "The provider refused this transfer. Once the cause is fixed, a new attempt pays the same "
                "amount to the same account."
            ),
            tone="danger",
            facts=lambda a: [(_("Provider's reason"), a.provider_reason), (_("Payee"), a.payee)],
        ),
    )

    def scope(self, queryset, actor):
        return queryset.for_actor(actor)


class MismatchInline(admin.TabularInline):
    model = Mismatch
    extra = 0
    can_delete = False
    fields = ("out_biz_no", "kind", "our_amount", "their_amount", "our_payee", "their_payee", "resolved_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationDay)
class ReconciliationDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "reconciled_at", "bill_lines", "matched", "open_mismatches", "problem")
    list_filter = (("reconciled_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("day", "checked_at", "bill_lines", "matched", "unreadable", "problem", "reconciled_at")
    exclude = ("unreadable_lines",)
    inlines = [MismatchInline]

    @admin.display(description=gettext_lazy("open mismatches"))
    def open_mismatches(self, day):
        return day.mismatches.filter(resolved_at__isnull=True).count()

    @admin.display(description=gettext_lazy("unreadable lines"))
    def unreadable(self, day):
        return "\n".join(f"{line['line']}: {line['problem']} — {line['text']}" for line in day.unreadable_lines) or "—"


def _resolve(mismatch, actor, request, data):
    reconciliation.resolve_mismatch(mismatch, actor, reason=data["reason"])
    return _("Mismatch resolved.")


@admin.register(Mismatch)
class MismatchAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = (
        "day",
        "out_biz_no",
        "kind",
        "our_amount",
        "their_amount",
        "our_payee",
        "their_payee",
        "resolved_at",
    )
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("day",)
    readonly_fields = [f.name for f in Mismatch._meta.fields]
    state_field = "resolved_at"
    object_actions = (
        ObjectAction(
            "resolve",
            gettext_lazy("Resolve"),
            ReasonForm,
            _resolve,
            "payments.resolve_mismatches",
            when=lambda m: m.resolved_at is None,
            help=gettext_lazy("Say what you found: the day is reconciled once every mismatch is resolved."),
            facts=lambda m: [
                (_("Here"), f"{m.our_amount or '—'} → {m.our_payee or '—'}"),
                (_("Provider's bill"), f"{m.their_amount or '—'} → {m.their_payee or '—'}"),
                (_("Bill line"), m.their_line or "—"),
            ],
        ),
    )
