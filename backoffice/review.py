"""The review desk: the actions a claim page offers and what the page shows (domain.md §6, §7, §11).

Every button calls the same service as the API (claims.services); the forms only parse input."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import history
from catalogue.taxonomy import ProblemCode, Reason
from claims import services as claims
from claims.choices import AppealOutcome, DisputeOutcome, EvidenceKind, FindingKind, Flag, Outcome, Side
from claims.choices import ClaimStatus as S
from claims.models import Claim
from claims.workflow import SLA_WARNING_SHARE, TRANSITIONS
from ledger.models import Entry

from .actions import ActionForm, ObjectAction
from .scoping import actor_for

REVIEW = "backoffice.review_claims"
DISPUTES = "backoffice.resolve_disputes"


def countdown(claim, now):
    """Time left to the review SLA (R-REV-1): `tone` is ok, warn (≥ 80 % used), breached, or paused
    while the buyer gathers evidence."""
    if claim.status == S.EVIDENCE_REQUESTED:
        return {"tone": "paused", "seconds": None, "text": _("paused: waiting for evidence")}
    if claim.status != S.SUBMITTED or claim.review_due_at is None:
        return None
    sla = dt.timedelta(hours=claim.review_sla_hours)
    left = claim.review_due_at - now
    if left <= dt.timedelta(0):
        tone = "breached"
    elif left <= sla * (1 - SLA_WARNING_SHARE):
        tone = "warn"
    else:
        tone = "ok"
    return {
        "tone": tone,
        "seconds": int(left.total_seconds()),
        "warn_at": int((sla * (1 - SLA_WARNING_SHARE)).total_seconds()),
        "text": duration_text(left),
        "due": claim.review_due_at,
    }


def duration_text(delta):
    seconds = int(delta.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{sign}{hours}h {minutes:02d}m"


def reason_label(value):
    return Reason(value).label if value in Reason.values else value


def problem_code_choices(claim):
    labels = dict(ProblemCode.choices)
    return [(code, f"{labels.get(code, code)} ({code})") for code in claim.plan.problem_codes_for(claim.reason)]


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


class ReasonForm(ActionForm):
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
        return _("Claim %(id)s: %(outcome)s.") % {"id": claim.claim_id, "outcome": Outcome(outcome).label}

    return run


def assign_to_me(claim, actor, request, data):
    claims.assign(claim, request.user, actor)
    return _("Claim %s is yours.") % claim.claim_id


def _audit(claim, actor, request, data):
    claims.record_audit(claim, actor, outcome=data["outcome"])
    return _("Audit recorded for claim %s.") % claim.claim_id


def _dispute(outcome):
    def run(claim, actor, request, data):
        claims.resolve_receipt_dispute(claim, actor, outcome=outcome, note=data["note"])
        return _("Receipt dispute on %(id)s: %(outcome)s.") % {
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
    return _("Appeal on %s: decision changed.") % claim.claim_id


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


REVIEW_STATES = (S.SUBMITTED, S.EVIDENCE_REQUESTED)
DECIDE = (TRANSITIONS, "decide")


def decision(outcome, form_class, help, *, accesskey, tone=""):
    """The button of one outcome of a review (claims.decide), named and labelled after it."""
    return ObjectAction(
        outcome.value,
        outcome.label,
        form_class,
        decide_as(outcome),
        REVIEW,
        DECIDE,
        (S.SUBMITTED,),
        help=help,
        tone=tone,
        accesskey=accesskey,
    )


def dispute_resolution(outcome, help, *, tone=""):
    """Service staff's button for one outcome of a receipt dispute (claims.resolve_receipt_dispute)."""
    return ObjectAction(
        f"{outcome.value}_receipt_rejection",
        outcome.label,
        NoteForm,
        _dispute(outcome),
        DISPUTES,
        (TRANSITIONS, "resolve_dispute"),
        (S.RECEIPT_DISPUTED,),
        help=help,
        tone=tone,
    )


CLAIM_ACTIONS = (
    ObjectAction(
        "assign", gettext_lazy("Assign to me"), ActionForm, assign_to_me, REVIEW, DECIDE, REVIEW_STATES, accesskey="m"
    ),
    decision(
        Outcome.APPROVE,
        ApproveForm,
        gettext_lazy("The insurer agrees to the refund on the merchant's behalf (R-REV-4)."),
        accesskey="a",
    ),
    decision(
        Outcome.PARTIALLY_APPROVE,
        PartialApproveForm,
        gettext_lazy("An amount below the requested one, with a reason (R-REV-3)."),
        accesskey="p",
    ),
    decision(
        Outcome.REJECT,
        ReasonForm,
        gettext_lazy("The reason is shown to the buyer and the merchant; the buyer may appeal (R-DIS-1)."),
        accesskey="r",
        tone="danger",
    ),
    decision(
        Outcome.REQUEST_EVIDENCE,
        MissingEvidenceForm,
        gettext_lazy("The SLA clock stops until the buyer sends more (R-REV-1, R-REV-2)."),
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
        help=gettext_lazy("A sample of fast-lane decisions is audited by a person (R-REV-6)."),
    ),
    dispute_resolution(DisputeOutcome.UPHOLD, gettext_lazy("The claim closes unpaid (R-RET-4)."), tone="danger"),
    dispute_resolution(
        DisputeOutcome.OVERTURN,
        gettext_lazy(
            "Treated as a confirmed receipt; the merchant owes the buyer the plan's non-performance points "
            "(R-RET-4, R-PEN-1)."
        ),
    ),
    ObjectAction(
        "uphold_appeal",
        gettext_lazy("Uphold the decision"),
        NoteForm,
        _uphold_appeal,
        DISPUTES,
        (TRANSITIONS, "resolve_appeal"),
        (S.UNDER_APPEAL,),
        help=gettext_lazy("Final in this system; both sides are told (R-DIS-1)."),
    ),
    ObjectAction(
        "change_decision",
        gettext_lazy("Change the decision"),
        ChangeDecisionForm,
        _change_decision,
        DISPUTES,
        (TRANSITIONS, "resolve_appeal"),
        (S.UNDER_APPEAL,),
        help=gettext_lazy("A new approved amount; the claim goes on towards the return or the refund (R-DIS-1)."),
    ),
    ObjectAction(
        "refund_finding",
        gettext_lazy("Record non-performance (refund overdue)"),
        ReasonForm,
        _refund_finding,
        DISPUTES,
        (TRANSITIONS, "record_finding"),
        when=_refund_finding_open,
        help=gettext_lazy("The merchant owes the buyer the plan's non-performance points, once (R-PEN-1)."),
        tone="danger",
    ),
)


def review_context(model_admin, request, claim, bound=None):
    """What the review page shows: evidence, buyer, policy and order, flags, decisions, history,
    and a form for every action the viewer may take now. `bound` holds a submitted form with errors."""
    actor = actor_for(request)
    now = timezone.now()
    evidence = list(claim.evidence.all())
    other_claims = (
        Claim.objects.for_actor(actor)
        .filter(buyer_id=claim.buyer_id)
        .exclude(pk=claim.pk)
        .select_related("shop")
        .order_by("-opened_at")[:20]
    )
    next_claim = (
        Claim.objects.for_actor(actor)
        .review_queue()
        .filter(Q(assignee__isnull=True) | Q(assignee=request.user), status=S.SUBMITTED)
        .exclude(pk=claim.pk)
        .only("pk")
        .first()
        if request.user.has_perm("backoffice.view_queuedclaim")
        else None
    )
    forms_ = []
    for action in model_admin.offered_actions(request, claim):
        form = (bound or {}).get(action.name) or model_admin.blank_form(claim, action)
        forms_.append({"action": action, "form": form, "url": model_admin.action_url(claim, action)})
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": claim,
        "title": _("Claim %s") % claim.claim_id,
        "claim": claim,
        "reason_label": reason_label(claim.reason),
        "countdown": countdown(claim, now),
        "buyer_images": [e for e in evidence if e.side == Side.BUYER and e.kind == EvidenceKind.IMAGE],
        "buyer_videos": [e for e in evidence if e.side == Side.BUYER and e.kind == EvidenceKind.VIDEO],
        "merchant_evidence": [e for e in evidence if e.side == Side.MERCHANT],
        "flags": list(claim.flags.select_related("related_claim")),
        "decisions": list(claim.decisions.select_related("user")),
        "history": list(history(claim).select_related("user")),
        "other_claims": other_claims,
        "dispute": getattr(claim, "receipt_dispute", None),
        "appeal": getattr(claim, "appeal_record", None),
        "findings": list(claim.findings.all()),
        "entries": list(Entry.objects.filter(claim=claim).order_by("created_at")),
        "assign_form": next((f for f in forms_ if f["action"].name == "assign"), None),
        "action_forms": [f for f in forms_ if f["action"].name != "assign"],
        "assigned_to_other": claim.assignee_id not in (None, request.user.pk),
        "next_claim": next_claim,
        "has_view_permission": True,
    }
