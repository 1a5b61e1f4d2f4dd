"""GET /api/v1/claims/{id}/evidence-pack (R-AUD-2): every client role, for a claim in its scope."""

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.utils import extend_schema as schema

from claims import packs
from claims import services as claims

from ..schema import errors
from .base import ApiView


class EvidencePackView(ApiView):
    @schema(
        operation_id="claims_evidence_pack",
        summary=_("Download the evidence pack of a claim in the client's scope (R-AUD-2)"),
        description=_(
            "One ZIP: summary.pdf, every evidence file and manifest.json (each file's SHA-256, the "
            "claim's chain head and the daily root that covers it; docs/audit.md). A merchant client "
            "gets its own variant: no buyer identity, no screening, images without EXIF, each copy's "
            "SHA-256 beside the original's. Every download is recorded."
        ),
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The pack.")),
            **errors(404),
        },
    )
    def get(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        pack = packs.download_pack(claim, self.actor)
        return FileResponse(pack.file, content_type="application/zip", as_attachment=True, filename=pack.filename)
