from decimal import Decimal

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from catalogue.taxonomy import Reason
from claims.choices import ClaimStatus, transition_reason
from kernel.actors import Channel, Role
from merchants.models import Shop

register = template.Library()


@register.filter
def money(value):
    """¥199.00; an amount not (yet) known shows as a dash."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(value):,.2f}"


@register.filter
def time_tag(value):
    """<time datetime="(ISO 8601)">Y-m-d H:i</time> in local time. One conversion for both: the
    `date` filter twice per value costs more than the rest of a list row."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), local.strftime("%Y-%m-%d %H:%M"))


@register.filter
def percent(value):
    """A rate such as 0.0150 as 1.50 %."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value) * 100:.2f} %"


def _label_of(choices):
    """A stored code in words; one the choices do not know (a platform's own refund reason, a value
    since retired) as it is."""

    def label(code):
        return choices(code).label if code in choices.values else code

    return label


register.filter("reason_label", _label_of(Reason))
# Who acted, by role only: staff identities are never shown to merchants (api.md).
register.filter("role_label", _label_of(Role))
register.filter("channel_label", _label_of(Channel))
register.filter("transition_reason", transition_reason)


@register.filter
def claim_status(code):
    return _label_of(ClaimStatus)(code) or "—"


@register.filter
def shop_field_label(name):
    try:
        return Shop._meta.get_field(name).verbose_name
    except FieldDoesNotExist:  # a field since renamed: its stored name is still worth showing
        return name


# Pages that belong to a section of the menu without being its list.
SECTION_OF = {
    "claim": "claims",
    "evidence": "claims",
    "remind_buyer": "claims",
    "confirm_receipt": "claims",
    "reject_receipt": "claims",
    "reject_receipt_confirm": "claims",
    "report_claim_buyer": "claims",
    "policy": "policies",
    "report_policy_buyer": "policies",
    "invoice": "invoices",
    "invoice_request": "invoices",
    "apply": "enrolment",
}


@register.simple_tag(takes_context=True)
def section(context):
    """The menu entry the current page belongs to (marked aria-current)."""
    match = context.request.resolver_match
    name = match.url_name if match else ""
    return SECTION_OF.get(name, name)


class TableNode(template.Node):
    def __init__(self, rows, name, caption, columns):
        self.rows, self.name, self.caption, self.columns = rows, name, caption, columns

    def render(self, context):
        # Each label is translated once per table, not once per row (docs/performance.md).
        labels = [conditional_escape(label.resolve(context)) for label, _numeric, _sort, _cell in self.columns]
        caption = self.caption.resolve(context) if self.caption else ""
        html = ['<table class="list">']
        if caption:
            html.append(format_html('<caption class="visually-hidden">{}</caption>', caption))
        sorting = context.get("sorting")
        sorts = [sort if sorting and sort in sorting.keys else None for _label, _numeric, sort, _cell in self.columns]
        html.append('<thead class="sortable"><tr>' if any(sorts) else "<thead><tr>")
        for label, sort in zip(labels, sorts, strict=True):
            html.append(self.header(label, sort, sorting))
        html.append("</tr></thead><tbody>")
        with context.push():
            for row in self.rows.resolve(context):
                context[self.name] = row
                html.append("<tr>")
                for index, ((_label, numeric, _sort, cell), label) in enumerate(zip(self.columns, labels, strict=True)):
                    # The first cell names the row; on a phone each cell shows its label before it (portal.css).
                    if index == 0:
                        element, attributes = "th", ' scope="row"'
                    else:
                        element, attributes = "td", ' class="num"' if numeric else ""
                    html.append(f'<{element}{attributes} data-label="{label}">{cell.render(context)}</{element}>')
                html.append("</tr>")
        html.append("</tbody></table>")
        return mark_safe("".join(html))

    @staticmethod
    def header(label, sort, sorting):
        """A column's header; a sortable one is a link (keyboard and all), its order in aria-sort
        and an arrow."""
        if sort is None:
            return format_html('<th scope="col">{}</th>', label)
        href, state = sorting.header(sort)
        arrow = {"ascending": "▲", "descending": "▼"}.get(state, "")
        return format_html(
            '<th scope="col" class="sortable"{}><a href="{}">{}<span class="arrow" aria-hidden="true">{}</span></a>'
            "</th>",
            format_html(' aria-sort="{}"', state) if state else "",
            href,
            label,
            arrow,
        )


@register.tag
def table(parser, token):
    """A list as a table (cards on a phone), each column stated once with its header:

    {% table page_obj as claim caption=_("Claims") %}
      {% column _("Claim") %}{{ claim.claim_id }}{% endcolumn %}
      {% column _("Requested") numeric sort="requested" %}{{ claim.requested_amount|money }}{% endcolumn %}
    {% endtable %}

    A column with sort="key" is sortable by the view's key of that name (lists.Sorting)."""
    bits = token.split_contents()
    if len(bits) not in (4, 5) or bits[2] != "as" or (len(bits) == 5 and not bits[4].startswith("caption=")):
        raise template.TemplateSyntaxError("Usage: {% table rows as row [caption=label] %}")
    caption = parser.compile_filter(bits[4].removeprefix("caption=")) if len(bits) == 5 else None
    columns = []
    while True:
        between = parser.parse(("column", "endtable"))
        if any(not isinstance(node, template.base.TextNode) or node.s.strip() for node in between):
            raise template.TemplateSyntaxError("Only {% column %}s go inside a {% table %}.")
        column = parser.next_token()
        if column.contents == "endtable":
            break
        column_bits = column.split_contents()
        if len(column_bits) < 2:
            raise template.TemplateSyntaxError('Usage: {% column label [numeric] [sort="key"] %}…{% endcolumn %}')
        label, *options = column_bits[1:]
        numeric = "numeric" in options
        sorts = [option.removeprefix("sort=").strip("\"'") for option in options if option.startswith("sort=")]
        if len(options) != numeric + len(sorts) or len(sorts) > 1:
            raise template.TemplateSyntaxError('Usage: {% column label [numeric] [sort="key"] %}…{% endcolumn %}')
        cell = parser.parse(("endcolumn",))
        parser.delete_first_token()
        columns.append((parser.compile_filter(label), numeric, sorts[0] if sorts else None, cell))
    return TableNode(parser.compile_filter(bits[1]), bits[3], caption, columns)
