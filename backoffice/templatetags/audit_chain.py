"""The claim page's line on its hash chain (R-AUD-1): length, head and when it was last verified."""

from django import template

from audit.canonical import claim_chain
from audit.models import ChainHead

register = template.Library()


@register.inclusion_tag("backoffice/includes/chain_status.html")
def chain_status(claim):
    return {"head": ChainHead.objects.filter(chain=claim_chain(claim.pk)).first()}
