"""What the answers load, in a fixed number of queries whatever the number of rows."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from audit.services import histories
from claims.choices import merchant_may_see
from claims.models import Claim, ClaimFlag, ClaimNote, Decision, Evidence, PendingDecision, RefundRequest
from claims.workflow import TRANSITIONS
from kernel.actors import Role
from kernel.errors import NotFound
from policies.models import Policy

from ..serializers.claims import ClaimSerializer
from ..serializers.refund_requests import RefundRequestSerializer

CLAIM_RELATED = ("refund_request", "sub_order", "policy", "shop", "insurer", "appeal_record", "receipt_dispute")


def claim_prefetch(actor):
    """Into plain lists (`api_flags`, …), which a claim just opened is given without reading them
    back; the flags only those the actor may see (R-REV-7)."""
    flags = ClaimFlag.objects.seen_by(actor.role).order_by("raised_at", "id")
    return (
        Prefetch("flags", queryset=flags, to_attr="api_flags"),
        Prefetch("evidence", queryset=Evidence.objects.all(), to_attr="api_evidence"),
        Prefetch("decisions", queryset=Decision.objects.all(), to_attr="api_decisions"),
        Prefetch("plan__taxonomy"),  # the decision's problem label (R-PLAN-1)
    )


NOTE_READERS = TRANSITIONS["add_note"][1]


def claims_for(actor):
    claims_ = Claim.objects.for_actor(actor).select_related(*CLAIM_RELATED).prefetch_related(*claim_prefetch(actor))
    if actor.role in NOTE_READERS:  # R-NOTE-2: the notes are loaded only for those who may read them
        claims_ = claims_.prefetch_related(Prefetch("notes", queryset=ClaimNote.objects.all(), to_attr="api_notes"))
    if actor.role == Role.INSURER:  # R-AUTH-1: what waits for a second approval is the insurer's own
        waiting = PendingDecision.objects.waiting()
        claims_ = claims_.prefetch_related(Prefetch("pending_decisions", queryset=waiting, to_attr="api_pending"))
    return claims_


def refund_requests_for(actor):
    return (
        RefundRequest.objects.for_actor(actor)
        .select_related("sub_order", "shop", "claim", *(f"claim__{name}" for name in CLAIM_RELATED))
        .prefetch_related(*(_nested("claim", lookup) for lookup in claim_prefetch(actor)))
    )


def _nested(prefix, lookup):
    return Prefetch(f"{prefix}__{lookup.prefetch_through}", queryset=lookup.queryset, to_attr=lookup.to_attr)


def policies_for(actor):
    return (
        Policy.objects.for_actor(actor)
        .select_related("sub_order", "shop", "plan", "insurer")
        # `status` too: the FSM mixin reads it when a claim is loaded.
        .prefetch_related(Prefetch("claims", queryset=Claim.objects.only("id", "claim_id", "policy_id", "status")))
    )


def attach_history(claims_):
    """The claims' transitions (api.md `history`), read in one query for the whole page."""
    claims_ = [claim for claim in claims_ if claim is not None]
    logs = histories(claims_)
    for claim in claims_:
        claim.api_history = logs.get(claim.pk, [])
    return claims_


def claim_out(actor, claim_id, context):
    claim = claims_for(actor).filter(claim_id=claim_id).first()
    if claim is None:
        raise NotFound(_("Claim not found."))
    attach_history([claim])
    return ClaimSerializer(claim, context=context).data


def refund_request_out(actor, pk, context):
    request = refund_requests_for(actor).get(pk=pk)
    attach_history([getattr(request, "claim", None)])
    return RefundRequestSerializer(request, context=context).data


def new_refund_request_out(actor, request, context):
    """A request recorded just now, answered from the rows its routing wrote rather than read
    back, which took a third of the request's time (docs/performance.md). Its claim, if it opened
    one, has only its opening and the flags raised with it (`claims.services.Opening`)."""
    opening = request.opening
    claim = opening.claim if opening else None
    _known_related(request, claim=claim)
    if claim is not None:
        claim.api_flags = [flag for flag in opening.flags if actor.role != Role.MERCHANT or merchant_may_see(flag.code)]
        claim.api_history = opening.history
        claim.api_evidence, claim.api_decisions = [], []
        _known_related(claim, appeal_record=None, receipt_dispute=None)
    return RefundRequestSerializer(request, context=context).data


def _known_related(obj, **rows):
    """Give `obj` the rows of its reverse one-to-ones as select_related would (None: no row)."""
    for name, row in rows.items():
        obj._meta.get_field(name).set_cached_value(obj, row)
