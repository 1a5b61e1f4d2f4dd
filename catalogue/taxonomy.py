"""The refund reasons and the appliance_30d problem taxonomy (domain.md §5, §6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    QUALITY = "quality", _("Quality problem")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    DAMAGED = "damaged", _("Damaged or stained")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    WRONG_SIZE = "wrong_size", _("Wrong size")


# R-ROUTE-2: only these reasons, as chosen by the buyer, send a request to the insurer.
QUALIFYING_REASONS = (Reason.QUALITY, Reason.NOT_AS_DESCRIBED, Reason.DAMAGED)


class ProblemCode(models.TextChoices):
    PERFORMANCE_FAULT = "performance_fault", _("Performance fault")
    BUTTONS_UNRESPONSIVE = "buttons_unresponsive", _("Buttons unresponsive")
    NO_POWER = "no_power", _("No power")
    NOT_HEATING = "not_heating", _("Not heating or below the stated temperature")
    BROKEN_AFTER_USE = "broken_after_use", _("Broken or cracked after use")
    SEVERE_FADING = "severe_fading_or_paint_loss", _("Severe fading or paint loss")
    ROUGH_WORKMANSHIP = "rough_workmanship", _("Rough workmanship")
    LEAKING = "leaking_water_or_power", _("Leaking water or power")
    STAINLESS_RUST = "stainless_rust", _("Stainless steel rusting")
    CANNOT_RUN = "cannot_run", _("Cannot run normally")
    ACCESSORY_OXIDISED = "accessory_oxidised", _("Accessory metal oxidised")
    ACCESSORY_UNUSABLE = "accessory_unusable", _("Accessory unusable")
    ACCESSORY_DETACHED = "accessory_detached", _("Accessory detached after use")
    OTHER_STATUTORY = "other_statutory_defect", _("Other statutory quality defect")
    VISIBLE_MISMATCH = "visible_mismatch", _("Visible mismatch (style, colour, model, size …)")
    INVISIBLE_MISMATCH = "invisible_mismatch", _("Invisible mismatch (function, effect, material)")
    OUTER_DAMAGED_INNER_OK = "outer_damaged_inner_ok", _("Outer packaging damaged, contents intact")
    OUTER_DAMAGED_INNER_DAMAGED = "outer_damaged_inner_damaged", _("Outer packaging and contents damaged")
    OUTER_OK_INNER_DAMAGED = "outer_ok_inner_damaged", _("Outer packaging intact, contents damaged")
    STAINED = "stained", _("Stained")
    UNASSESSED = "unassessed", _("Unassessed (automatic decision)")


APPLIANCE_TAXONOMY: dict[str, list[str]] = {
    Reason.QUALITY.value: [
        ProblemCode.PERFORMANCE_FAULT,
        ProblemCode.BUTTONS_UNRESPONSIVE,
        ProblemCode.NO_POWER,
        ProblemCode.NOT_HEATING,
        ProblemCode.BROKEN_AFTER_USE,
        ProblemCode.SEVERE_FADING,
        ProblemCode.ROUGH_WORKMANSHIP,
        ProblemCode.LEAKING,
        ProblemCode.STAINLESS_RUST,
        ProblemCode.CANNOT_RUN,
        ProblemCode.ACCESSORY_OXIDISED,
        ProblemCode.ACCESSORY_UNUSABLE,
        ProblemCode.ACCESSORY_DETACHED,
        ProblemCode.OTHER_STATUTORY,
    ],
    Reason.NOT_AS_DESCRIBED.value: [ProblemCode.VISIBLE_MISMATCH, ProblemCode.INVISIBLE_MISMATCH],
    Reason.DAMAGED.value: [
        ProblemCode.OUTER_DAMAGED_INNER_OK,
        ProblemCode.OUTER_DAMAGED_INNER_DAMAGED,
        ProblemCode.OUTER_OK_INNER_DAMAGED,
        ProblemCode.STAINED,
    ],
}
APPLIANCE_TAXONOMY = {reason: [str(code) for code in codes] for reason, codes in APPLIANCE_TAXONOMY.items()}
