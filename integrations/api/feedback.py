"""Notes (R-NOTE-2) and ratings (R-KPI-2) through the API: parse, find the claim in scope, call
the service, answer the row written."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema as schema
from rest_framework import serializers
from rest_framework.response import Response

from claims import services as claims
from claims.feedback import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, RatingSource
from claims.feedback_services import add_note, rate
from integrations.idempotency import idempotent

from .serializers import NoteOutSerializer, Time
from .views import IDEMPOTENCY_KEY, INSURER, PLATFORM, ApiView, errors, parse


class NoteInput(serializers.Serializer):
    # The length is checked by the service too; here it keeps a huge body from reaching it.
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH, trim_whitespace=True)


class SatisfactionInput(serializers.Serializer):
    # Any whole number parses; one outside 1–5 is refused as a rule (422 `rating_out_of_range`).
    rating = serializers.IntegerField()
    comment = serializers.CharField(max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default="")


class RatingSerializer(serializers.Serializer):
    claim_id = serializers.CharField(source="claim.claim_id")
    source = serializers.ChoiceField(choices=RatingSource.choices)
    rating = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)
    at = Time()


class NotesView(ApiView):
    roles = {"POST": INSURER}

    @schema(
        operation_id="claims_notes_create",
        summary=_("An internal note on the claim (R-NOTE-2)"),
        description=_(
            "Insurer clients only. Notes are part of the claim's history and appear in `notes` of the claim "
            "for insurer clients; merchants, buyers and merchant clients never see them."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=NoteInput,
        responses={201: NoteOutSerializer, **errors(400, 403, 404, 409, 422)},
        examples=[OpenApiExample("A note", value={"text": "Called the buyer: photos retaken."}, request_only=True)],
    )
    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        note = add_note(claim, self.actor, parse(NoteInput, request.data)["text"])
        return Response(NoteOutSerializer(note).data, status=201)


class SatisfactionView(ApiView):
    roles = {"POST": PLATFORM}

    @schema(
        operation_id="claims_satisfaction_create",
        summary=_("The buyer's rating of the claim's handling, once it is closed (R-KPI-2)"),
        description=_(
            "Once per claim, after it closes (409 `claim_not_closed` before, 409 `already_rated` the second "
            "time); a rating outside 1–5 is 422 `rating_out_of_range`."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=SatisfactionInput,
        responses={201: RatingSerializer, **errors(400, 403, 404, 409, 422)},
        examples=[
            OpenApiExample("A rating", value={"rating": 5, "comment": "快速理赔，很满意"}, request_only=True)
        ],
    )
    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        data = parse(SatisfactionInput, request.data)
        rating = rate(claim, self.actor, data["rating"], data["comment"])
        return Response(RatingSerializer(rating).data, status=201)
