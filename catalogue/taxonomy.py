"""The refund reasons, and the taxonomies the two shipped plans start with (domain.md §5, §6, R-PLAN-1).

A plan's problem codes are rows (`catalogue.ProblemCode`): the tuples below only seed them, in
the data migration's frozen copy and when the demo world or a test builds a plan from nothing."""

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

# R-REV-6: automatic decisions only; it belongs to no plan.
UNASSESSED = "unassessed"
UNASSESSED_LABEL = _("Unassessed (automatic decision)")

Row = tuple[str, str, str, str]  # reason, code, zh-Hans label, English label
Q, N, D = Reason.QUALITY.value, Reason.NOT_AS_DESCRIBED.value, Reason.DAMAGED.value

STARTING_TAXONOMIES: dict[str, tuple[str, tuple[Row, ...]]] = {
    "appliance_30d": (
        "生活电器30天质保险",
        (
            (Q, "performance_fault", "性能故障", "Performance fault"),
            (Q, "buttons_unresponsive", "按键失灵", "Buttons unresponsive"),
            (Q, "no_power", "无法通电", "No power"),
            (Q, "not_heating", "不加热或达不到标称温度", "Not heating or below the stated temperature"),
            (Q, "broken_after_use", "使用后断裂或开裂", "Broken or cracked after use"),
            (Q, "severe_fading_or_paint_loss", "严重褪色或掉漆", "Severe fading or paint loss"),
            (Q, "rough_workmanship", "做工粗糙", "Rough workmanship"),
            (Q, "leaking_water_or_power", "漏水或漏电", "Leaking water or power"),
            (Q, "stainless_rust", "不锈钢生锈", "Stainless steel rusting"),
            (Q, "cannot_run", "无法正常运行", "Cannot run normally"),
            (Q, "accessory_oxidised", "配件金属氧化", "Accessory metal oxidised"),
            (Q, "accessory_unusable", "配件无法使用", "Accessory unusable"),
            (Q, "accessory_detached", "配件使用后脱落", "Accessory detached after use"),
            (Q, "other_statutory_defect", "其他法定质量问题", "Other statutory quality defect"),
            (
                N,
                "visible_mismatch",
                "外观不符（款式、颜色、型号、尺寸等）",
                "Visible mismatch (style, colour, model, size …)",
            ),
            (
                N,
                "invisible_mismatch",
                "非外观不符（功能、效果、材质）",
                "Invisible mismatch (function, effect, material)",
            ),
            (D, "outer_damaged_inner_ok", "外包装破损，内物完好", "Outer packaging damaged, contents intact"),
            (D, "outer_damaged_inner_damaged", "外包装及内物均破损", "Outer packaging and contents damaged"),
            (D, "outer_ok_inner_damaged", "外包装完好，内物破损", "Outer packaging intact, contents damaged"),
            (D, "stained", "污渍", "Stained"),
        ),
    ),
    "apparel_30d": (
        "服饰30天质保险",
        (
            (Q, "seam_split", "开线", "Seam split"),
            (Q, "pilling", "起球", "Pilling"),
            (Q, "colour_fading", "褪色", "Colour fading"),
            (Q, "shrinkage", "缩水", "Shrinkage"),
            (Q, "hardware_broken", "拉链/纽扣损坏", "Zip or button broken"),
            (Q, "other_statutory_defect", "其他法定质量问题", "Other statutory quality defect"),
            (N, "visible_mismatch", "外观不符（款式、颜色、尺码等）", "Visible mismatch (style, colour, size …)"),
            (N, "material_mismatch", "材质不符", "Material not as described"),
            (D, "torn", "破损", "Torn"),
            (D, "stained", "污渍", "Stained"),
        ),
    ),
}
