"""What every API view is: JSON only, the client's roles per method, bodies parsed by serializers."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from integrations.models import ClientRole

from ..pagination import NewestFirst

PLATFORM = {ClientRole.PLATFORM}
INSURER = {ClientRole.INSURER}
MERCHANT = {ClientRole.MERCHANT}


def parse(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class JsonOnly(BaseContentNegotiation):
    """Answers are JSON (or a stored file) whatever Accept says: never an HTML page."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def answer_language(request):
    """One language per answer, from Accept-Language only (an API client's cookies say nothing):
    the top-level message and every field message are in it. The site's default otherwise."""
    for code, _quality in trans_real.parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class ApiView(APIView):
    """`roles` maps a method to the client roles allowed to call it (all when absent)."""

    roles = {}
    content_negotiation_class = JsonOnly

    def dispatch(self, request, *args, **kwargs):
        # Around authentication too, so that a 401 or 403 speaks the same language as a 400; the
        # thread's language is given back afterwards.
        with translation.override(answer_language(request)):
            request.LANGUAGE_CODE = translation.get_language()
            return super().dispatch(request, *args, **kwargs)

    @property
    def actor(self):
        return self.request.auth.actor()

    def get_serializer_context(self):
        return {"request": self.request}


# A list, newest first by cursor, filtered by the list's FilterSet (the one the portal uses): a
# value it does not understand is a 400 `invalid` naming the parameter. (A comment, not a
# docstring: the schema would take a docstring as every list's description.)
class ApiListView(ApiView, generics.ListAPIView):
    pagination_class = NewestFirst
    filter_backends = [DjangoFilterBackend]
