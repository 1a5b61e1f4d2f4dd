from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    IN_COVER = "in_cover", _("In cover")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    SHIPPED = "shipped", _("Shipped")
    REFUSED = "refused", _("Refused")


class OrderEventType(models.TextChoices):
    SHIPPED = "shipped", _("Shipped")
    RECEIPT_CONFIRMED = "receipt_confirmed", _("Receipt confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class NotCovered(models.TextChoices):
    NO_PLAN = "no_plan", _("The product does not carry the warranty tag")
    UNKNOWN_PLAN = "unknown_plan", _("Unknown warranty plan")
    NOT_ENROLLED = "not_enrolled", _("The shop was not in cover for this plan when the order was placed")
