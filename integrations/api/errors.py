"""One error shape for every answer under /api/ (api.md Conventions):
`{"error": {"code", "message", "fields"}}`, never an HTML page."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import DomainError

API_PREFIX = "/api/"
# Seconds a client is asked to wait while the database is out of reach (a restart, a fail-over).
RETRY_AFTER_UNAVAILABLE = 5


def body(code, message, fields=None):
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def flatten(detail, prefix=""):
    """DRF's nested errors as {"orders.3.paid_amount": ["…"]}, the contract's `fields`."""
    if isinstance(detail, dict):
        items = detail.items()
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        items = enumerate(detail)
    else:
        messages = detail if isinstance(detail, list) else [detail]
        return {prefix or "non_field_errors": [str(message) for message in messages]}
    fields = {}
    for name, value in items:
        if name == api_settings.NON_FIELD_ERRORS_KEY and prefix:
            # A list's own problem (too long, empty) belongs to the list's field.
            fields.update(flatten(value, prefix))
        else:
            fields.update(flatten(value, f"{prefix}.{name}" if prefix else str(name)))
    return fields


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: domain refusals, DRF's own errors and Django's 404 in one shape."""
    if isinstance(exc, DomainError):
        return _response(exc.status, body(exc.code, exc.message, exc.fields))
    if isinstance(exc, RequestDataTooBig):
        return _response(413, body("too_large", _("The request body is too large.")))
    if isinstance(exc, SuspiciousOperation):
        return _response(400, body("malformed", _("The request is malformed.")))
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is out of reach (a restart, a fail-over) or gave up the transaction. The
        # same request may be sent again: natural ids and Idempotency-Keys make a repeat harmless.
        response = _response(
            503,
            body("unavailable", _("The service is briefly unavailable; send the same request again shortly.")),
        )
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # DRF's handler keeps its headers (WWW-Authenticate on 401, Retry-After on 429); the body is ours.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = body("invalid", _("Some fields are missing or malformed."), flatten(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        response.data = body("malformed", exc.detail)
    else:
        response.data = body(exc.default_code, exc.detail)
    return response


def _response(status_code, data):
    return Response(data, status=status_code)


def handler400(request, exception=None):
    """A request Django refuses before any view (a bad Host header, too many fields …)."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(body("malformed", _("The request is malformed.")), status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return JsonResponse(body("permission_denied", _("Permission denied.")), status=status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    """Django's 404 (no URL matched): JSON under /api/, the usual page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            body("server_error", _("Something went wrong on our side; the request may be retried.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request)


HANDLERS = {400: handler400, 403: handler403, 404: handler404, 500: handler500}


class JsonErrorsUnderApiMiddleware:
    """With DEBUG on (`make run`), Django answers an unmatched URL or a crash with its HTML
    debug page, bypassing the handlers above. Under /api/ a client must still get the one JSON
    shape, whatever the settings."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code >= 400 and html and request.path.startswith(API_PREFIX):
            handler = HANDLERS.get(response.status_code)
            if handler is not None:
                return handler(request)
            return JsonResponse(
                body(f"http_{response.status_code}", response.reason_phrase), status=response.status_code
            )
        return response
