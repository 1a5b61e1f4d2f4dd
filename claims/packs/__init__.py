"""Evidence packs (R-AUD-2): one ZIP per claim, for every role that sees the claim."""

from django.db import transaction
from django.utils import timezone

from audit.models import PackDownload
from claims.evidence import sees_originals
from claims.models import Claim
from kernel.actors import Actor, Role

from .builder import MERCHANT_FLAGS, Pack, Variant, build_pack

__all__ = ["MERCHANT_FLAGS", "Pack", "Variant", "build_pack", "download_pack", "variant_for"]


def variant_for(actor: Actor) -> str:
    """R-AUD-2: a merchant gets its own variant, without the buyer's identity, any screening or
    any EXIF; the platform's systems get the pack with copies without EXIF (R-EVI-1); insurer
    staff, the insurer's systems and service staff get the pack as stored."""
    if actor.role == Role.MERCHANT:
        return Variant.MERCHANT
    return Variant.FULL if sees_originals(actor) else Variant.COPIES


def download_pack(claim: Claim, actor: Actor, *, at=None) -> Pack:
    """The pack of a claim the caller found in the actor's scope (claims.services.get_claim_for
    or a scoped queryset), its download recorded before it is handed out."""
    at = at or timezone.now()
    pack = build_pack(claim, variant_for(actor), at=at)
    with transaction.atomic():
        PackDownload.objects.create(
            claim=claim,
            variant=pack.variant,
            manifest_sha256=pack.manifest_sha256,
            size=pack.size,
            at=at,
            role=actor.role,
            channel=actor.channel,
            user_id=actor.user_id,
            client_id=actor.client_id,
            actor_label=actor.label,
        )
    return pack
