"""The merchant's rating of how a closed claim was handled (R-KPI-2)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from claims.feedback_services import rate
from kernel.errors import DomainError

from ..access import merchant_required
from ..forms import RatingForm
from .claims import _claim


@require_POST
@merchant_required
def rate_claim(request, claim_id):
    claim = _claim(request, claim_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
    else:
        try:
            rate(claim, request.actor, form.cleaned_data["rating"], form.cleaned_data["comment"])
        except DomainError as exc:
            messages.error(request, exc.text)
        else:
            messages.success(request, _("Thank you: your rating was recorded."))
    return redirect("portal:claim", claim_id=claim.claim_id)
