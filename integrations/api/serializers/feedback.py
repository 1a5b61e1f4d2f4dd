"""Notes (R-NOTE-2) and ratings (R-KPI-2): what the API reads and answers."""

from rest_framework import serializers

from claims.feedback import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, RatingSource

from .fields import Time


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
