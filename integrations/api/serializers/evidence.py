"""Evidence files: the upload and an item as a claim lists it."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.choices import EvidenceMark, Side

from .fields import Time


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part: binary in the schema, so that generated clients upload it."""


class EvidenceInput(serializers.Serializer):
    file = UploadField(help_text=_("image/jpeg, image/png, image/webp or video/mp4; at most 20 MB."))
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")


class QualitySerializer(serializers.Serializer):
    """R-EVI-1: what the arrival check found, so that the platform can ask the buyer to retake."""

    clear = serializers.BooleanField(help_text=_("False when the image is too blurred or too dark to judge."))
    captured_at = Time(allow_null=True, help_text=_("When the picture was taken, from its EXIF."))
    software = serializers.CharField(allow_null=True, help_text=_("The software that saved it, from its EXIF."))
    warnings = serializers.ListField(
        child=serializers.ChoiceField(choices=EvidenceMark.choices),
        source="marks",
        help_text=_("Marks for the reviewer; the platform may ask the buyer to retake."),
    )

    def to_representation(self, instance):
        answer = super().to_representation(instance)
        answer["software"] = answer["software"] or None
        return answer


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    uploaded_at = Time()
    file_url = serializers.SerializerMethodField(help_text=_("Download it with the same token."))
    quality = QualitySerializer(source="*")

    @extend_schema_field(OpenApiTypes.URI)
    def get_file_url(self, evidence):
        path = reverse("api:evidence-file", kwargs={"claim_id": evidence.claim.claim_id, "evidence_id": evidence.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
