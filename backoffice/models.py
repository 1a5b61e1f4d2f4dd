from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models import Claim


class BackOffice(models.Model):
    """No table: holds the permissions of the back-office actions, which belong to no one model.
    The role groups (migration 0002) grant them."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("review_claims", _("Review claims: assign, decide, request evidence, audit")),
            ("approve_enrolments", _("Approve or reject enrolment applications")),
            ("override_rates", _("Override a rate or lift the override")),
            ("handle_invoices", _("Issue, ship or refuse premium invoices")),
            ("manage_merchants", _("Invite merchants and process exits")),
            ("manage_buyers", _("Revoke or restore buyer eligibility, review buyer reports")),
            ("resolve_disputes", _("Resolve receipt disputes and appeals, record non-performance findings")),
            ("view_figures", _("See the service figures")),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class QueuedClaim(Claim):
    """The review desk's view of a claim: the queue of claims waiting for the insurer."""

    class Meta:
        proxy = True
        verbose_name = _("claim to review")
        verbose_name_plural = _("review queue")
