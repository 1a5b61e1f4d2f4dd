"""Masked values on admin pages, and "Show in full": JSON bodies (a notice's data, a webhook
delivery's payload) masked key by key (audit.masking.masked_body), single fields such as a buyer's
id; whole only to a role that may disclose, and each time recorded."""

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.masking import DISCLOSURE, masked_body
from audit.services import disclose

from .actions import ObjectAction, ObjectActionsMixin, ReasonForm


def body_text(body):
    """A body as Django's admin shows a JSON field: one line, the Chinese as written."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def masked_body_text(body):
    return body_text(masked_body(body))


def reveal(field, permission, *, label, help, shown=str, when=None):
    """The "Show in full" action for the masked `field`: the value, as `shown` writes it, on the
    answer to a request that names its reason (audit.services.disclose records both)."""

    def run(obj, actor, request, data):
        full = disclose(obj, field, actor, reason=data["reason"])
        return _("In full (this showing is recorded): %s") % shown(full)

    return ObjectAction("reveal", label, ReasonForm, run, permission, (DISCLOSURE, "disclose"), when=when, help=help)


def reveal_body(field, permission):
    """The "Show in full" action for the JSON body `field`, offered when the page masks part of it."""
    return reveal(
        field,
        permission,
        label=gettext_lazy("Show in full"),
        help=gettext_lazy(
            "Return addresses, phones, payout accounts and buyer ids are shown masked; "
            "each showing in full is recorded with its reason."
        ),
        shown=body_text,
        when=lambda obj: masked_body(getattr(obj, field)) != getattr(obj, field),
    )


class RevealsBody(ObjectActionsMixin):
    """Object actions on records that have no state of their own."""

    state_field = "pk"

    def version_of(self, obj):
        # Showing a body changes nothing, so no page of it goes out of date.
        return str(obj.pk)
