"""The review page of a claim: what the desk shows beside the buttons (domain.md §6, §7, §11)."""

from django.db.models import Case, F, Q, When, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import history
from backoffice.display import countdown, reason_label
from backoffice.scoping import actor_for
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import EvidenceKind, EvidenceMark, Side
from claims.feedback_services import notes_for
from claims.models import Claim
from claims.models.authority import ApprovalStatus
from ledger.models import Entry

TEMPLATE = "admin/claims/review.html"


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
    next_claim = next_in_queue(request, claim)
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
        "merchant_videos": [e for e in evidence if e.side == Side.MERCHANT and e.kind == EvidenceKind.VIDEO],
        "workspace": _workspace(claim, evidence, actor),
        "flags": list(claim.flags.select_related("related_claim")),
        "decisions": _decisions(claim),
        "history": list(history(claim).select_related("user")),
        "assignments": list(claim.assignments.select_related("assignee", "by")),
        "other_claims": other_claims,
        "dispute": getattr(claim, "receipt_dispute", None),
        "appeal": getattr(claim, "appeal_record", None),
        "findings": list(claim.findings.all()),
        "entries": list(Entry.objects.filter(claim=claim).order_by("created_at")),
        "assign_form": next((f for f in forms_ if f["action"].name == "assign"), None),
        "note_form": next((f for f in forms_ if f["action"].name == "add_note"), None),
        "notes": notes_for(claim, actor),
        "action_forms": [f for f in forms_ if f["action"].name not in ("assign", "add_note")],
        "assigned_to_other": claim.assignee_id not in (None, request.user.pk),
        "next_claim": next_claim,
        # R-AUTH-1: a decision awaiting a second approval, and each step of those the claim had.
        "pending_decision": claims.waiting(claim),
        "approval_steps": list(claim.approval_steps.select_related("user")),
        "has_view_permission": True,
        # The evidence and the decision forms get the width; the breadcrumbs lead back.
        "is_nav_sidebar_enabled": False,
    }


def next_in_queue(request, claim):
    """The claim the reviewer's queue offers after `claim`: the first waiting for a decision that
    nobody else holds, those assigned to the reviewer (R-ASSIGN-1) before the pool, none whose
    decision already waits for a second person (R-AUTH-1); None for a viewer without the queue,
    or when it is empty."""
    if not request.user.has_perm("backoffice.view_queuedclaim"):
        return None
    mine_first = Case(When(assignee=request.user, then=0), default=1)
    return (
        Claim.objects.for_actor(actor_for(request))
        .review_queue()
        .filter(Q(assignee__isnull=True) | Q(assignee=request.user), status=S.SUBMITTED)
        .exclude(pk=claim.pk)
        .exclude(pending_decisions__status=ApprovalStatus.PENDING)
        .order_by(mine_first, F("review_due_at").asc(nulls_last=True), "opened_at")
        .only("pk", "claim_id")
        .first()
    )


def shown_forms(context):
    """The names of the action forms the review page shows: a refusal of any other one (another tab
    or person acted first) must be said above the page, or it would not be seen at all."""
    shown = {item["action"].name for item in context["action_forms"]}
    if context["note_form"]:
        shown.add("add_note")
    if context["assign_form"] and not context["claim"].assignee_id:
        shown.add("assign")
    return shown


def refusal_note(claim, action, reason):
    """A refused button, in words: what was not done, why, and the last change to the claim."""
    note = _("“%(action)s” was not done on claim %(id)s: %(reason)s") % {
        "action": action.label,
        "id": claim.claim_id,
        "reason": reason,
    }
    last = history(claim).select_related("user").last()
    if last is None:
        return note
    state = S(last.target).label if last.target in S.values else last.target
    who = last.user.get_username() if last.user else (last.actor_label or last.get_role_display())
    at = timezone.localtime(last.at).strftime("%H:%M")
    return note + " " + _("Last change: now %(state)s, at %(at)s by %(who)s.") % {"state": state, "at": at, "who": who}


def _decisions(claim):
    """The claim's decisions, their problem labels read from one load of its plan's rows (R-PLAN-1)."""
    prefetch_related_objects([claim.plan], "taxonomy")
    return list(claim.decisions.select_related("user"))


def _workspace(claim, evidence, actor):
    """R-EVI-1: every image of the claim, the buyer's first, with its marks in words and, for a
    `duplicate_evidence` claim seen by insurer staff, the matching photo of the other claim."""
    matches = {match.photo.pk: match for match in claims.matching_photos(claim, actor)}
    images = [e for e in evidence if e.kind == EvidenceKind.IMAGE]
    images.sort(key=lambda e: e.side != Side.BUYER)
    return [
        {
            "item": item,
            "marks": [EvidenceMark(code).label for code in item.marks if code in EvidenceMark.values],
            "match": _match(matches.get(item.pk), actor),
        }
        for item in images
    ]


def _match(match, actor):
    """The other claim's id and the distance are shown to insurer staff; its photo only when that
    claim is in their own scope (another insurer's buyer's photo stays with that insurer)."""
    if match is None:
        return None
    other = match.other
    visible = actor.in_scope(insurer_id=other.claim.insurer_id, shop_id=other.claim.shop_id)
    return {"other": other, "distance": match.distance, "visible": visible}
