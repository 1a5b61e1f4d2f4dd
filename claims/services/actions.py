"""The one way a claim action runs: authorise the actor, open the transaction, lock the row,
check the page's version, then the use case's own steps (its transition and audit row)."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import version
from kernel.actors import Actor, require
from kernel.errors import NotFound, RuleViolation, stale_page
from kernel.timeutil import SHANGHAI

from ..models import Claim
from ..workflow import DEADLINES, TRANSITIONS


def now_or(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def authorize(actor: Actor, action: str, claim: Claim) -> None:
    require(actor, action, TRANSITIONS, insurer_id=claim.insurer_id, shop_id=claim.shop_id)


def locked(claim: Claim) -> Claim:
    """Re-read the claim under a row lock: concurrent actions on one claim run one at a time."""
    current: Claim = (
        Claim.objects.select_for_update(of=("self",)).select_related("plan", "policy", "buyer", "shop").get(pk=claim.pk)
    )
    return current


@contextmanager
def acting(
    claim: Claim, actor: Actor, action: str, now: dt.datetime | None = None, *, seen: str | None = None
) -> Iterator[tuple[Claim, dt.datetime]]:
    """`with acting(claim, actor, "confirm_receipt", now) as (claim, now):` the actor may take the
    action (403/404 otherwise), and the block runs in one transaction on the claim locked and read
    afresh. `seen` is the version of the claim the page showed: if the claim changed since, the
    action is refused instead of overwriting a newer decision."""
    authorize(actor, action, claim)
    with transaction.atomic():
        current = locked(claim)
        if seen is not None and version(current, current.status) != seen:
            raise stale_page()
        yield current, now_or(now)


def require_text(value: str, field: str, message: str, rule: str) -> None:
    if not value:
        raise RuleViolation(message, code=f"{field}_required", rule=rule, fields={field: [_("Required.")]})


def refuse_past_deadline(claim: Claim, now: dt.datetime, rule: str) -> None:
    """A step whose clock has run out in the claim's state is refused when it is tried, whether or
    not the sweep has run yet (issue 13); the sweep then does what the deadline owes. The clock is
    the state's own (workflow.DEADLINES), due at its column's time: at that moment it has run out."""
    column, label = DEADLINES[claim.status]
    due: dt.datetime | None = getattr(claim, column)
    if due is not None and now >= due:
        raise RuleViolation(
            _("Too late: %(deadline)s at %(due)s.")
            % {"deadline": label, "due": due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S %z")},
            code="deadline_passed",
            rule=rule,
        )


def get_claim_for(actor: Actor, claim_id: str) -> Claim:
    """A claim the actor may see, or NotFound exactly as if it did not exist."""
    claim: Claim | None = (
        Claim.objects.for_actor(actor)
        .select_related("plan", "policy", "shop", "buyer")
        .filter(claim_id=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound(_("Claim not found."))
    return claim
