"""Notes (R-NOTE-2) and ratings (R-KPI-2) through the API: parse, find the claim in scope, call
the service, answer the row written."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema as schema
from rest_framework.response import Response

from claims import services as claims
from claims.feedback_services import add_note, rate
from integrations.idempotency import idempotent

from ..schema import IDEMPOTENCY_KEY, errors
from ..serializers.claims import NoteOutSerializer
from ..serializers.feedback import NoteInput, RatingSerializer, SatisfactionInput
from .base import INSURER, PLATFORM, ApiView, parse


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
        examples=[OpenApiExample("A rating", value={"rating": 5, "comment": "快速理赔，很满意"}, request_only=True)],
    )
    @idempotent
    def post(self, request, claim_id):
        claim = claims.get_claim_for(self.actor, claim_id)
        data = parse(SatisfactionInput, request.data)
        rating = rate(claim, self.actor, data["rating"], data["comment"])
        return Response(RatingSerializer(rating).data, status=201)
