"""The OpenAPI tables the views share (the error answers, the idempotency header, examples) and
the pieces drf-spectacular cannot guess: the token scheme, the contract's paths."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema_view
from drf_spectacular.utils import extend_schema as schema

from integrations.idempotency import HEADER, MAX_KEY_LENGTH
from integrations.models import ClientRole
from kernel.filters import ChoicesFilter

from .serializers.claims import ClaimSerializer
from .serializers.errors import ErrorSerializer

ERRORS = {
    400: _("Malformed: a field is missing or of the wrong type (code `invalid` or `malformed`)."),
    401: _("No token, or a bad or revoked one."),
    403: _("The client's role may not do this."),
    404: _("Not found, or outside the client's insurer or shop."),
    409: _(
        "A conflict: `transition_not_allowed` from the claim's current state, `claim_open` (R-POL-5), "
        "an id already used with other content, or an Idempotency-Key reused with another body."
    ),
    413: _("A file over 20 MB, or a tenth file on one side of the claim."),
    415: _("Not an accepted type (checked from the bytes), or a body that is not of the expected media type."),
    422: _("Well-formed but breaks a rule: `code` names it, `message` cites the rule id."),
    429: _("Throttled: retry after the seconds in the Retry-After header."),
    503: _(
        "The database or the evidence storage is briefly out of reach: send the same request again "
        "(after Retry-After seconds when given)."
    ),
}


ERROR_EXAMPLE = OpenApiExample(
    "A refused approval",
    value={
        "error": {
            "code": "evidence_missing",
            "message": "Approval needs at least one buyer image and the buyer's description. (R-REV-2)",
            "fields": {},
        }
    },
    response_only=True,
    status_codes=["422"],
)


IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    # As the server takes it: 1 to 255 printable characters.
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"^[\x20-\x7e]+$"},
    OpenApiParameter.HEADER,
    description=_("Repeat the key to retry safely: the first answer is replayed (kept at least 24 h)."),
)


def errors(*codes):
    """The error answers of an endpoint: every endpoint may answer 401, 429 and 503."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERRORS[code]) for code in sorted({401, 429, 503, *codes})
    }


ORDER_EXAMPLE = {
    "sub_order_id": "SO-20261101-0001",
    "order_id": "O-20261101-0001",
    "shop_id": "demo-shop",
    "buyer_id": "b-7f3a",
    "product_id": "kettle-1",
    "warranty_plan": "appliance_30d",
    "paid_amount": "199.00",
    "placed_at": "2026-11-01T10:00:00+08:00",
}


def action_schema(operation_id, summary, body, *codes, examples=()):
    return extend_schema_view(
        post=schema(
            operation_id=operation_id,
            summary=summary,
            description=_("Answers the claim as it stands after the action."),
            parameters=[IDEMPOTENCY_KEY],
            request=body,
            responses={200: ClaimSerializer, **errors(400, 403, 404, 409, *codes)},
            examples=[*examples, ERROR_EXAMPLE] if 422 in codes else list(examples),
        )
    )


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'The client\'s key as "Token <key>" (python manage.py issue_api_token).',
        }


def contract_paths(endpoints):
    """The integration API only, with its paths written as api.md writes them (no trailing
    slash; both forms are served)."""
    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/v1/")
    ]


class ContractSchema(AutoSchema):
    """Each operation as other people's tools read it: who may call it (its description and
    `x-roles`, rather than the views' internal docstrings), and its parameters exactly as strict as
    the server (a choices filter is a comma-separated list of its values, `limit` 1 to 500)."""

    def get_description(self):
        # Only an operation's own `description` (extend_schema) is the contract's.
        return ""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        allowed = self.view.roles.get(method.upper()) if hasattr(self.view, "roles") else None
        roles = [role.value for role in ClientRole if allowed is None or role in allowed]
        operation["x-roles"] = roles
        labels = ", ".join(str(ClientRole(role).label).lower() for role in roles)
        who = str(_("Who may call it: %(roles)s clients.")) % {"roles": labels}
        operation["description"] = f"{operation['description']}\n\n{who}" if operation.get("description") else who
        return operation

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class else {}
        for parameter in parameters:
            found = filters.get(parameter["name"])
            if isinstance(found, ChoicesFilter):
                parameter["schema"] = {
                    "type": "array",
                    "items": {"type": "string", "enum": [value for value, _label in found.extra["choices"]]},
                    "minItems": 1,
                }
                parameter["style"], parameter["explode"] = "form", False
            elif found is not None and found.extra.get("max_length"):
                parameter["schema"]["maxLength"] = found.extra["max_length"]
        return parameters

    def _get_pagination_parameters(self):
        parameters = super()._get_pagination_parameters()
        paginator = self._get_paginator()
        for parameter in parameters:
            if paginator is not None and parameter["name"] == paginator.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=paginator.max_page_size)
                parameter["description"] = str(
                    _("Rows per page, %(default)s unless given.") % {"default": paginator.page_size}
                )
        return parameters
