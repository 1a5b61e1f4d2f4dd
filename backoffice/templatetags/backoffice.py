from django import template

from ..charts import shown

register = template.Library()


@register.simple_tag
def figure_value(row, key, kind):
    return shown(row[key], kind)
