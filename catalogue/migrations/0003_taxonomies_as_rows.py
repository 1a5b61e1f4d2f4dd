"""R-PLAN-1: each plan's JSON taxonomy becomes rows of ProblemCode, and the second plan,
apparel_30d "服饰30天质保险", arrives with its own taxonomy (domain.md §15).

The taxonomies are frozen here as they shipped: later edits to catalogue/taxonomy.py or to the
rows in the admin do not change what this migration did."""

from django.db import migrations

TAXONOMIES = {
    "appliance_30d": (
        "生活电器30天质保险",
        (
            ("quality", "performance_fault", "性能故障", "Performance fault"),
            ("quality", "buttons_unresponsive", "按键失灵", "Buttons unresponsive"),
            ("quality", "no_power", "无法通电", "No power"),
            ("quality", "not_heating", "不加热或达不到标称温度", "Not heating or below the stated temperature"),
            ("quality", "broken_after_use", "使用后断裂或开裂", "Broken or cracked after use"),
            ("quality", "severe_fading_or_paint_loss", "严重褪色或掉漆", "Severe fading or paint loss"),
            ("quality", "rough_workmanship", "做工粗糙", "Rough workmanship"),
            ("quality", "leaking_water_or_power", "漏水或漏电", "Leaking water or power"),
            ("quality", "stainless_rust", "不锈钢生锈", "Stainless steel rusting"),
            ("quality", "cannot_run", "无法正常运行", "Cannot run normally"),
            ("quality", "accessory_oxidised", "配件金属氧化", "Accessory metal oxidised"),
            ("quality", "accessory_unusable", "配件无法使用", "Accessory unusable"),
            ("quality", "accessory_detached", "配件使用后脱落", "Accessory detached after use"),
            ("quality", "other_statutory_defect", "其他法定质量问题", "Other statutory quality defect"),
            (
                "not_as_described",
                "visible_mismatch",
                "外观不符（款式、颜色、型号、尺寸等）",
                "Visible mismatch (style, colour, model, size …)",
            ),
            (
                "not_as_described",
                "invisible_mismatch",
                "非外观不符（功能、效果、材质）",
                "Invisible mismatch (function, effect, material)",
            ),
            ("damaged", "outer_damaged_inner_ok", "外包装破损，内物完好", "Outer packaging damaged, contents intact"),
            ("damaged", "outer_damaged_inner_damaged", "外包装及内物均破损", "Outer packaging and contents damaged"),
            ("damaged", "outer_ok_inner_damaged", "外包装完好，内物破损", "Outer packaging intact, contents damaged"),
            ("damaged", "stained", "污渍", "Stained"),
        ),
    ),
    "apparel_30d": (
        "服饰30天质保险",
        (
            ("quality", "seam_split", "开线", "Seam split"),
            ("quality", "pilling", "起球", "Pilling"),
            ("quality", "colour_fading", "褪色", "Colour fading"),
            ("quality", "shrinkage", "缩水", "Shrinkage"),
            ("quality", "hardware_broken", "拉链/纽扣损坏", "Zip or button broken"),
            ("quality", "other_statutory_defect", "其他法定质量问题", "Other statutory quality defect"),
            (
                "not_as_described",
                "visible_mismatch",
                "外观不符（款式、颜色、尺码等）",
                "Visible mismatch (style, colour, size …)",
            ),
            ("not_as_described", "material_mismatch", "材质不符", "Material not as described"),
            ("damaged", "torn", "破损", "Torn"),
            ("damaged", "stained", "污渍", "Stained"),
        ),
    ),
}
SECOND_PLAN = "apparel_30d"


def forwards(apps, schema_editor):
    Plan = apps.get_model("catalogue", "Plan")
    ProblemCode = apps.get_model("catalogue", "ProblemCode")
    def labels_of(plan_code):
        # A shipped plan's own labels; any other plan had the appliance taxonomy by default.
        _name, rows = TAXONOMIES.get(plan_code, TAXONOMIES["appliance_30d"])
        return {code: (zh, en) for _reason, code, zh, en in rows}

    for plan in Plan.objects.all():
        labels = labels_of(plan.code)
        position = 0
        for reason, codes in (plan.problem_codes or {}).items():
            for code in codes:
                zh, en = labels.get(code, (code, code))
                ProblemCode.objects.get_or_create(
                    plan=plan,
                    code=code,
                    defaults={"reason": reason, "label_zh_hans": zh, "label_en": en, "position": position},
                )
                position += 1
    name, rows = TAXONOMIES[SECOND_PLAN]
    plan, created = Plan.objects.get_or_create(code=SECOND_PLAN, defaults={"name": name, "problem_codes": {}})
    if created or not ProblemCode.objects.filter(plan=plan).exists():
        ProblemCode.objects.filter(plan=plan).delete()
        for position, (reason, code, zh, en) in enumerate(rows):
            ProblemCode.objects.create(
                plan=plan, code=code, reason=reason, label_zh_hans=zh, label_en=en, position=position
            )


def backwards(apps, schema_editor):
    Plan = apps.get_model("catalogue", "Plan")
    for plan in Plan.objects.all():
        taxonomy: dict[str, list[str]] = {}
        for row in plan.taxonomy.order_by("reason", "position", "code"):
            taxonomy.setdefault(row.reason, []).append(row.code)
        plan.problem_codes = taxonomy
        plan.save(update_fields=["problem_codes"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_problem_code_model"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
