"""R-AUTH-1: a second person confirms a pending decision (it takes effect now, with its
webhooks, notices and e-mails, and the review SLA is met only now) or sends it back with a
reason (nothing takes effect; the claim waits for a new decision)."""

import datetime as dt

from django.utils.translation import gettext as _

from audit.services import run_transition
from kernel.actors import Actor
from kernel.errors import Conflict

from ..models import Claim, PendingDecision
from ..models.authority import ApprovalKind, ApprovalStatus
from .actions import acting, require_text
from .appeals import change_on_appeal
from .authority import check_second_person, record_step
from .returns import overturn
from .review import _decide

# The workflow action each kind of decision is, so the confirmer's role and scope are checked
# exactly as for the decision itself (an insurer's reviewer never confirms another insurer's).
ACTIONS = {
    ApprovalKind.DECISION: "decide",
    ApprovalKind.APPEAL_CHANGE: "resolve_appeal",
    ApprovalKind.OVERTURN: "resolve_dispute",
}


def confirm(pending: PendingDecision, actor: Actor, *, reason: str = "", now: dt.datetime | None = None) -> Claim:
    with acting(pending.claim, actor, ACTIONS[ApprovalKind(pending.kind)], now) as (claim, now):
        pending = _resolve(pending, actor, "confirm", ApprovalStatus.CONFIRMED, now, (reason or "").strip())
        if pending.kind == ApprovalKind.DECISION:
            _decide(claim, pending.outcome, actor, pending.problem_code, pending.approved_amount, pending.reason, now)
        elif pending.kind == ApprovalKind.APPEAL_CHANGE:
            change_on_appeal(claim, actor, pending.reason, pending.approved_amount, pending.problem_code, now)
        else:
            overturn(claim, actor, pending.reason, now)
        return claim


def send_back(pending: PendingDecision, actor: Actor, *, reason: str, now: dt.datetime | None = None) -> Claim:
    reason = (reason or "").strip()
    require_text(reason, "reason", _("Say why the decision goes back."), "R-AUTH-1")
    with acting(pending.claim, actor, ACTIONS[ApprovalKind(pending.kind)], now) as (claim, now):
        _resolve(pending, actor, "send_back", ApprovalStatus.SENT_BACK, now, reason)
        return claim


def _resolve(
    pending: PendingDecision, actor: Actor, transition: str, step: str, now: dt.datetime, reason: str
) -> PendingDecision:
    """Under the claim's lock: still pending, a second person, then the step in the history."""
    current = PendingDecision.objects.select_for_update().select_related("claim").get(pk=pending.pk)
    if current.status != ApprovalStatus.PENDING:
        raise Conflict(
            _("This decision was already %(status)s.") % {"status": current.get_status_display().lower()},
            code="approval_resolved",
            rule="R-AUTH-1",
        )
    check_second_person(current, actor)
    run_transition(current, transition, at=now, reason=reason)
    current.save()
    record_step(current, step, actor, now, reason=reason)
    return current
