from django import template

from claims.choices import ClaimStatus, transition_reason

from ..charts import shown

register = template.Library()
register.filter("transition_reason", transition_reason)


@register.simple_tag
def figure_value(row, key, kind):
    return shown(row[key], kind)


@register.filter
def claim_state(code):
    """A claim's state in words: the history on the review page shows no state codes."""
    return ClaimStatus(code).label if code in ClaimStatus.values else code
