"""The claim page's buttons: each action's form and the service it calls (domain.md §6, §7, §11).

Every button calls the same service as the API (claims.services); the forms only parse input.
When a button is offered is the state machine's answer (claims.workflow.is_open), not restated here."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction, ReasonForm
from claims import services as claims
from claims.choices import AppealOutcome, DisputeOutcome, FindingKind, Flag, Outcome
from claims.feedback import NOTE_MAX_LENGTH
from claims.feedback_services import add_note
from claims.workflow import TRANSITIONS, is_open, who_may

REVIEW = "backoffice.review_claims"
DISPUTES = "backoffice.resolve_disputes"


def problem_code_choices(claim):
    """R-PLAN-1: the codes of the claim's plan and reason, labelled from their rows."""
    rows = claim.plan.taxonomy.filter(reason=claim.reason)
    return [(row.code, row.label) for row in rows]


class ProblemCodeForm(ActionForm):
    problem_code = forms.ChoiceField(label=gettext_lazy("Problem code"))

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["problem_code"].choices = [("", "—")] + problem_code_choices(obj)


class ApproveForm(ProblemCodeForm):
    pass


class PartialApproveForm(ProblemCodeForm):
    approved_amount = forms.DecimalField(
        label=gettext_lazy("Approved amount (CNY)"), max_digits=14, decimal_places=2, min_value=0
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class MissingEvidenceFields(forms.Form):
    """Also the form of the bulk "request evidence for many"."""

    reason = forms.CharField(
        label=gettext_lazy("What is missing"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The buyer reads this."),
    )


class MissingEvidenceForm(MissingEvidenceFields, ActionForm):
    pass


class NoteForm(ActionForm):
    note = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class InternalNoteForm(ActionForm):
    text = forms.CharField(
        label=gettext_lazy("Internal note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept in the claim's history; never shown to the merchant or the buyer."),
    )


class AuditForm(ActionForm):
    outcome = forms.CharField(label=gettext_lazy("What the audit found"), max_length=200)


class ChangeDecisionForm(ActionForm):
    approved_amount = forms.DecimalField(
        label=gettext_lazy("New approved amount (CNY)"), max_digits=14, decimal_places=2, min_value=0
    )
    problem_code = forms.ChoiceField(label=gettext_lazy("Problem code"), required=False)
    note = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["problem_code"].choices = [("", _("keep the current one"))] + problem_code_choices(obj)


def decide_as(outcome):
    def run(claim, actor, request, data):
        # "Assign to me" first: a claim another reviewer has taken is refused, not decided twice.
        claims.assign(claim, request.user, actor)
        claims.decide(
            claim,
            outcome,
            actor,
            problem_code=data.get("problem_code", ""),
            approved_amount=data.get("approved_amount"),
            reason=data.get("reason", ""),
        )
        decided = _("Claim %(id)s: %(outcome)s.") % {"id": claim.claim_id, "outcome": Outcome(outcome).label}
        return _held(claim) or decided

    return run


def _held(claim):
    """R-AUTH-1: the message when the decision went above the actor's limit and waits."""
    if claims.waiting(claim) is None:
        return ""
    return (
        _(
            "Claim %s: above your authority limit, the decision awaits a second approval; it takes effect once "
            "another person with the authority confirms it."
        )
        % claim.claim_id
    )


def assign_to_me(claim, actor, request, data):
    claims.assign(claim, request.user, actor)
    return _("Claim %s is yours.") % claim.claim_id


def _add_note(claim, actor, request, data):
    add_note(claim, actor, data["text"])
    return _("Note added to claim %s.") % claim.claim_id


def _audit(claim, actor, request, data):
    claims.record_audit(claim, actor, outcome=data["outcome"])
    return _("Audit recorded for claim %s.") % claim.claim_id


def _dispute(outcome):
    def run(claim, actor, request, data):
        claims.resolve_receipt_dispute(claim, actor, outcome=outcome, note=data["note"])
        return _held(claim) or _("Receipt dispute on %(id)s: %(outcome)s.") % {
            "id": claim.claim_id,
            "outcome": DisputeOutcome(outcome).label,
        }

    return run


def _uphold_appeal(claim, actor, request, data):
    claims.resolve_appeal(claim, actor, outcome=AppealOutcome.UPHOLD, note=data["note"])
    return _("Appeal on %s: decision upheld.") % claim.claim_id


def _change_decision(claim, actor, request, data):
    claims.resolve_appeal(
        claim,
        actor,
        outcome=AppealOutcome.CHANGE,
        note=data["note"],
        approved_amount=data["approved_amount"],
        problem_code=data.get("problem_code") or "",
    )
    return _held(claim) or _("Appeal on %s: decision changed.") % claim.claim_id


def _refund_finding(claim, actor, request, data):
    finding = claims.record_finding(claim, actor, kind=FindingKind.REFUND_OVERDUE, reason=data["reason"])
    return _("Non-performance finding recorded: %(points)s points owed to the buyer.") % {"points": finding.points}


def _has_flag(code):
    return lambda claim: any(flag.code == code for flag in claim.flags.all())


def _audit_pending(claim):
    return claim.audit_requested and claim.audited_at is None


def _refund_finding_open(claim):
    return _has_flag(Flag.REFUND_OVERDUE)(claim) and not any(
        f.kind == FindingKind.REFUND_OVERDUE for f in claim.findings.all()
    )


def _is_open(name):
    return lambda claim, actor: is_open(claim, actor.role, name)


def move(name, label, form_class, run, permission, **options):
    """The button of the workflow action `name` (claims.workflow.MOVES or WHILE): offered to the
    roles and in the states the workflow opens it to."""
    rule = (TRANSITIONS, who_may(name))
    return ObjectAction(name, label, form_class, run, permission, rule, open=_is_open(name), **options)


def decision(outcome, form_class, help, *, accesskey, tone=""):
    """The button of one outcome of a review (claims.decide), named and labelled after it."""
    return move(
        outcome.value, outcome.label, form_class, decide_as(outcome), REVIEW, help=help, tone=tone, accesskey=accesskey
    )


def dispute_resolution(outcome, help, *, tone=""):
    """Service staff's button for one outcome of a receipt dispute (claims.resolve_receipt_dispute)."""
    name = f"{outcome.value}_receipt_rejection"
    return move(name, outcome.label, NoteForm, _dispute(outcome), DISPUTES, help=help, tone=tone)


CLAIM_ACTIONS = (
    move("assign", gettext_lazy("Assign to me"), ActionForm, assign_to_me, REVIEW, accesskey="m"),
    decision(
        Outcome.APPROVE,
        ApproveForm,
        gettext_lazy("The insurer agrees to the refund on the merchant's behalf."),
        accesskey="a",
    ),
    decision(
        Outcome.PARTIALLY_APPROVE,
        PartialApproveForm,
        gettext_lazy("An amount below the requested one, with a reason."),
        accesskey="p",
    ),
    decision(
        Outcome.REJECT,
        ReasonForm,
        gettext_lazy("The reason is shown to the buyer and the merchant; the buyer may appeal."),
        accesskey="r",
        tone="danger",
    ),
    decision(
        Outcome.REQUEST_EVIDENCE,
        MissingEvidenceForm,
        gettext_lazy("The SLA clock stops until the buyer sends more."),
        accesskey="e",
    ),
    ObjectAction(
        "audit",
        gettext_lazy("Record audit"),
        AuditForm,
        _audit,
        REVIEW,
        (TRANSITIONS, "audit_automatic_decision"),
        when=_audit_pending,
        help=gettext_lazy("A sample of fast-lane decisions is audited by a person."),
    ),
    dispute_resolution(DisputeOutcome.UPHOLD, gettext_lazy("The claim closes unpaid."), tone="danger"),
    dispute_resolution(
        DisputeOutcome.OVERTURN,
        gettext_lazy("Treated as a confirmed receipt; the merchant owes the buyer the plan's non-performance points."),
    ),
    move(
        "uphold_appeal",
        gettext_lazy("Uphold the decision"),
        NoteForm,
        _uphold_appeal,
        DISPUTES,
        help=gettext_lazy("Final in this system; both sides are told."),
    ),
    move(
        "change_decision",
        gettext_lazy("Change the decision"),
        ChangeDecisionForm,
        _change_decision,
        DISPUTES,
        help=gettext_lazy("A new approved amount; the claim goes on towards the return or the refund."),
    ),
    ObjectAction(
        "refund_finding",
        gettext_lazy("Record non-performance (refund overdue)"),
        ReasonForm,
        _refund_finding,
        DISPUTES,
        (TRANSITIONS, "record_finding"),
        when=_refund_finding_open,
        help=gettext_lazy("The merchant owes the buyer the plan's non-performance points, once."),
        tone="danger",
    ),
    # R-NOTE-2: any state; the roles come from the workflow table (the insurer's side, service staff).
    ObjectAction(
        "add_note",
        gettext_lazy("Add the note"),
        InternalNoteForm,
        _add_note,
        "claims.view_claim",
        (TRANSITIONS, "add_note"),
    ),
)


def bulk_check(name):
    """Before a bulk action's confirmation page: why a claim would be refused, in the words of its
    review page (the state machine's answer, then who holds the claim); None when it will be done."""
    action = next(a for a in CLAIM_ACTIONS if a.name == name)

    def check(claim, actor, request):
        if not action.applies_to(claim, claim.status, actor):
            return _("not possible while the claim is “%(state)s”") % {"state": claim.get_status_display()}
        if claim.assignee_id not in (None, request.user.pk):
            return _("%(who)s is working on it") % {"who": claim.assignee.get_username()}
        return None

    return check
