from django import template

from ..figures import shown

register = template.Library()


@register.simple_tag
def figure_value(row, key, kind):
    return shown(row[key], kind)
