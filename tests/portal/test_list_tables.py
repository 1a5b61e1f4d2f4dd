"""The portal's lists are tables on a wide screen and cards on a phone: every column is stated once
({% table %}), its header above the rows and its label before each cell of a card."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse

from claims.choices import ClaimStatus as S


def test_a_claim_list_names_each_column_once_and_labels_every_cell_for_phones(merchant_client, world):
    claims = [world.in_state(state) for state in (S.AWAITING_RECEIPT, S.REFUND_DUE, S.PAID)]
    html = merchant_client.get(reverse("portal:claims")).content.decode()
    assert html.count('<a href="?sort=requested">Requested<') == 1
    assert html.count('<td class="num" data-label="Requested">¥199.00</td>') == len(claims)
    for claim in claims:
        link = f'<a href="{reverse("portal:claim", args=[claim.claim_id])}">{claim.claim_id}</a>'
        assert f'<th scope="row" data-label="Claim">{link}</th>' in html
    assert '<caption class="visually-hidden">Claims</caption>' in html


def test_a_table_renders_its_rows_escaped_with_an_optional_caption():
    template = Template(
        "{% load portal %}{% table rows as row caption=title %}"
        '{% column "Name" %}{{ row }}{% endcolumn %} {% column "Sum" numeric %}1{% endcolumn %}{% endtable %}'
    )
    html = template.render(Context({"rows": ["<b>", "x"], "title": "<Rows>"}))
    assert html == (
        '<table class="list"><caption class="visually-hidden">&lt;Rows&gt;</caption>'
        '<thead><tr><th scope="col">Name</th><th scope="col">Sum</th></tr></thead><tbody>'
        '<tr><th scope="row" data-label="Name">&lt;b&gt;</th><td class="num" data-label="Sum">1</td></tr>'
        '<tr><th scope="row" data-label="Name">x</th><td class="num" data-label="Sum">1</td></tr>'
        "</tbody></table>"
    )


@pytest.mark.parametrize(
    "source",
    [
        '{% table rows as row %}<p>between</p>{% column "A" %}{% endcolumn %}{% endtable %}',
        '{% table rows as row %}{% column "A" wide %}{% endcolumn %}{% endtable %}',
        '{% table rows row %}{% column "A" %}{% endcolumn %}{% endtable %}',
        '{% table rows as row title="A" %}{% column "A" %}{% endcolumn %}{% endtable %}',
    ],
)
def test_a_table_holds_only_columns_and_says_so(source):
    """Anything else would vanish from the page without a word."""
    with pytest.raises(TemplateSyntaxError):
        Template("{% load portal %}" + source)
