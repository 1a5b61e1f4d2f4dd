"""Plans as data (R-PLAN-1): a shipped plan with its starting taxonomy, and problem codes' labels."""

from django.db import transaction

from .models import Plan, ProblemCode
from .taxonomy import STARTING_TAXONOMIES, UNASSESSED, UNASSESSED_LABEL


@transaction.atomic
def shipped_plan(code: str) -> Plan:
    """appliance_30d or apparel_30d with its starting taxonomy (idempotent; rows staff added stay)."""
    plan, _created = Plan.objects.get_or_create(code=code, defaults={"name": STARTING_TAXONOMIES[code][0]})
    give_taxonomy(plan, code)
    return plan


def give_taxonomy(plan: Plan, taxonomy: str) -> None:
    """The starting rows of a shipped plan's taxonomy (appliance_30d, apparel_30d) onto `plan`."""
    have = set(plan.taxonomy.values_list("code", flat=True))
    ProblemCode.objects.bulk_create(
        ProblemCode(plan=plan, reason=reason, code=code, label_zh_hans=zh, label_en=en, position=position)
        for position, (reason, code, zh, en) in enumerate(STARTING_TAXONOMIES[taxonomy][1])
        if code not in have
    )


def problem_label(plan: Plan, code: str) -> str:
    """The label of one code of a plan, read from `plan.taxonomy.all()` (a prefetch serves it);
    `unassessed` (R-REV-6) is no plan's; a code since removed shows as it is."""
    if not code:
        return ""
    if code == UNASSESSED:
        return str(UNASSESSED_LABEL)
    return next((row.label for row in plan.taxonomy.all() if row.code == code), code)
