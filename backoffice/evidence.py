"""Evidence files reach staff only through this view, after checking they may see the claim.
There is no public media URL for evidence."""

import io

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from PIL import Image

from claims import services as claims
from claims.choices import EvidenceKind
from claims.models import Claim, Evidence
from kernel.ranges import file_response

from .scoping import actor_for

THUMBNAIL = (360, 360)


def visible_evidence(request):
    claims = Claim.objects.for_actor(actor_for(request)).values("pk")
    return Evidence.objects.filter(claim__in=claims)


def serve(request, pk):
    if not request.user.has_perm("claims.view_claim"):
        raise PermissionDenied
    item = visible_evidence(request).filter(pk=pk).first()
    if item is None:
        raise Http404(_("Not found."))
    if request.GET.get("size") == "thumb" and item.kind == EvidenceKind.IMAGE:
        # A re-encoded thumbnail carries no EXIF (R-EVI-1), whoever asks.
        response = HttpResponse(_thumbnail(item), content_type="image/jpeg")
    else:
        # R-EVI-1: the original or the EXIF-free copy, as claims.evidence.sees_originals says.
        served, size = claims.open_served(item, actor_for(request))
        name = f"evidence-{item.pk}{_extension(item)}"
        response = file_response(request, served, size, item.content_type, name)
    response["X-Content-Type-Options"] = "nosniff"
    # Private: proof of a buyer's claim must not sit in a shared cache.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _thumbnail(item):
    with item.file.open("rb") as handle, Image.open(handle) as image:
        image.draft("RGB", THUMBNAIL)  # JPEG decodes at a reduced size: fast for phone photos
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _extension(item):
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4"}.get(
        item.content_type, ""
    )
