"""The evidence pack button of the claim page (R-AUD-2): the pack of a claim in the viewer's scope."""

from django.http import FileResponse, Http404

from claims import packs
from claims.models import Claim

from .scoping import actor_for


def evidence_pack(request, pk):
    """Served through admin_site.admin_view (zhibao/urls.py): only people who may enter the admin."""
    actor = actor_for(request)
    claim = Claim.objects.for_actor(actor).select_related("shop", "insurer", "plan", "buyer").filter(pk=pk).first()
    if claim is None:
        raise Http404
    pack = packs.download_pack(claim, actor)
    return FileResponse(pack.file, content_type="application/zip", as_attachment=True, filename=pack.filename)
