"""Evidence files: uploaded by the platform (the buyer's) or the merchant, downloaded in scope."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
)
from drf_spectacular.utils import extend_schema as schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from claims import services as claims
from claims.choices import Side
from claims.evidence import ACCEPTED
from integrations.idempotency import idempotent
from integrations.models import ClientRole
from kernel.errors import NotFound
from kernel.ranges import file_response
from kernel.uploads import SizeLimitHandler

from ..schema import IDEMPOTENCY_KEY, errors
from ..serializers.evidence import EvidenceInput, EvidenceSerializer
from .base import MERCHANT, PLATFORM, ApiView, parse


class EvidenceView(ApiView):
    roles = {"POST": PLATFORM | MERCHANT}
    parser_classes = [MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        # The 20 MB limit while the body streams in (a 100 MB upload is refused unread).
        request.upload_handlers.insert(0, SizeLimitHandler(request))
        return super().initialize_request(request, *args, **kwargs)

    @schema(
        operation_id="claims_evidence_create",
        summary=_("Upload the buyer's (platform) or the merchant's evidence (R-REV-2, R-RET-3)"),
        parameters=[IDEMPOTENCY_KEY],
        request={"multipart/form-data": EvidenceInput},
        responses={201: EvidenceSerializer, **errors(400, 403, 404, 409, 413, 415)},
    )
    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        data = parse(EvidenceInput, request.data)
        upload = data["file"]
        side = Side.BUYER if request.auth.role == ClientRole.PLATFORM else Side.MERCHANT
        # A part sent without a type of its own declares nothing; the bytes still decide.
        declared = None if upload.content_type in ("", "application/octet-stream") else upload.content_type
        item = claims.add_evidence(claim, side, upload, self.actor, note=data["note"], declared_type=declared)
        return Response(EvidenceSerializer(item, context=self.get_serializer_context()).data, status=201)


class EvidenceFileView(ApiView):
    @schema(
        operation_id="claims_evidence_file",
        summary=_("Download an evidence file of a claim in the client's scope"),
        description=_(
            "Insurer clients get the file as uploaded; platform and merchant clients get images without "
            "EXIF (R-EVI-1). A `Range: bytes=…` header is answered 206 with that part (416 past the end)."
        ),
        responses={
            **{
                (status, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=_("The file."))
                for media_type in ACCEPTED
                for status in (200, 206)
            },
            **errors(404, 503),
        },
    )
    def get(self, request, claim_id, evidence_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        evidence = claim.evidence.filter(pk=evidence_id).first()
        if evidence is None:
            raise NotFound(_("Evidence not found."))
        extension = evidence.file.name.rsplit(".", 1)[-1] if "." in evidence.file.name else "bin"
        served, size = claims.open_served(evidence, self.actor)
        name = f"{claim.claim_id}-{evidence.pk}.{extension}"
        return file_response(request, served, size, evidence.content_type, name)
