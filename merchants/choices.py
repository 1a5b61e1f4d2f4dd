from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrolmentStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    APPLIED = "applied", _("Applied")
    ACTIVE = "active", _("Active")
    EXIT_REQUESTED = "exit_requested", _("Exit requested")
    EXITED = "exited", _("Exited")
    REJECTED = "rejected", _("Rejected")


# Cover continues while an exit is pending (domain.md §3).
COVERING_STATUSES = (EnrolmentStatus.ACTIVE, EnrolmentStatus.EXIT_REQUESTED)


class RateSource(models.TextChoices):
    INITIAL = "initial", _("Initial (plan base rate)")
    ENGINE = "engine", _("Risk pricing")
    OVERRIDE = "override", _("Supervisor override")
