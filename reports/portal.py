"""The merchant's monthly statement in the portal (R-STM-1), as a page and as a PDF."""

from django import forms
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel import replica
from kernel.errors import DomainError
from merchants.models import Shop
from portal.access import merchant_required, scoped
from portal.shortcuts import page

from .periods import Period, last_closed
from .statements import monthly_statement


class MonthForm(forms.Form):
    period = forms.CharField(
        label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}), help_text=_("YYYY-MM, Beijing time.")
    )

    def clean_period(self):
        try:
            period = Period.parse(self.cleaned_data["period"])
        except DomainError as exc:
            raise forms.ValidationError(exc.text) from exc
        if period.starts_at > timezone.now():
            raise forms.ValidationError(_("This month has not started yet."))
        return period


def _statement(request):
    form = MonthForm(request.GET if "period" in request.GET else {"period": str(last_closed())})
    statement = None
    if form.is_valid():
        with replica.reads():
            statement = monthly_statement(request.actor.shop_id, form.cleaned_data["period"])
    return form, statement


@merchant_required
def statement(request):
    form, statement = _statement(request)
    return page(request, "reports/statement.html", {"form": form, "statement": statement})


@merchant_required
def statement_pdf(request):
    """The same statement as a PDF (WeasyPrint; Chinese set in WenQuanYi Micro Hei)."""
    from weasyprint import HTML  # loading Pango and its fonts costs half a second: only when asked

    form, statement = _statement(request)
    if statement is None:
        return page(request, "reports/statement.html", {"form": form, "statement": None}, status=400)
    shop = scoped(request, Shop).get()
    html = render_to_string(
        "reports/statement_pdf.html", {"shop": shop, "statement": statement, "now": timezone.now()}, request=request
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{shop.shop_id}-{statement.period}.pdf"'
    return response
