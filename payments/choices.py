from django.db import models
from django.utils.translation import gettext_lazy as _


class AttemptKind(models.TextChoices):
    CLAIM_PAYOUT = "claim_payout", _("Claim payout to the merchant")
    SHIPPING_ALLOWANCE = "shipping_allowance", _("Return shipping allowance to the buyer")


class AttemptStatus(models.TextChoices):
    CREATED = "created", _("Created")
    SENT = "sent", _("Sent")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")
    UNKNOWN = "unknown", _("Outcome unknown")


class MismatchKind(models.TextChoices):
    MISSING_AT_PROVIDER = "missing_at_provider", _("Recorded here, not on the provider's bill")
    MISSING_HERE = "missing_here", _("On the provider's bill, not recorded here")
    AMOUNT_DIFFERS = "amount_differs", _("Amounts differ")
    PAYEE_DIFFERS = "payee_differs", _("Payees differ")
