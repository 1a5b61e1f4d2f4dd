"""Domain errors: what a service refuses, with a machine code, a human message and an HTTP status.

Interfaces (API, admin, portal) translate these; services never know which one called them.
"""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 422
    code = "rule_violated"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        rule: str | None = None,
        text: str | Promise | None = None,
    ) -> None:
        self.rule = rule
        # People (the admin, the portal) read `text`, a sentence without the rule id or state codes;
        # the API's `message` names the rule, for the developers who integrate (rule ids stay in code,
        # logs and the API).
        self.text = str(message if text is None else text)
        if rule and rule not in str(message):
            message = f"{message} ({rule})"
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}


class RuleViolation(DomainError):
    """Well-formed but breaks a rule of domain.md (422)."""


class TransitionRefused(DomainError):
    """The object's current state does not allow the action (409)."""

    status = 409
    code = "transition_not_allowed"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RoleRefused(DomainError):
    """The actor's role may not take this action (403)."""

    status = 403
    code = "permission_denied"


class NotFound(DomainError):
    status = 404
    code = "not_found"


def transition_refused(obj: Model, action: str | Promise, state: str | Promise) -> TransitionRefused:
    """The API's message names the transition and the state by their codes; people are told the
    state in words (its label among the model's choices) and nothing of the transition's name."""
    return TransitionRefused(
        _("%(action)s is not allowed while %(object)s is %(state)s.")
        % {"action": action, "object": obj._meta.verbose_name, "state": state},
        text=_("Not possible while the %(object)s is “%(state)s”.")
        % {"object": obj._meta.verbose_name, "state": state_label(obj, state)},
    )


def state_label(obj: Model, state: str | Promise) -> str:
    """A state code in words, from the choices of the model's `status` (every life cycle's field)."""
    try:
        field = obj._meta.get_field("status")
    except FieldDoesNotExist:
        return str(state)
    return str(dict(getattr(field, "flatchoices", ())).get(state, state))


def stale_page() -> Conflict:
    """A page older than the record it acts on: refused rather than overwrite a newer decision."""
    return Conflict(
        _("This page is out of date: the record changed since you opened it. Reload and try again."),
        code="stale_page",
    )


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class StorageUnavailable(DomainError):
    """The file storage did not answer (a network or bucket outage): the request may be retried."""

    status = 503
    code = "unavailable"
