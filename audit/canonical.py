"""The canonical content of a history row, its digest, the chain digest and the Merkle root of
the daily chain heads (R-AUD-1). docs/audit.md describes the same in prose for clients: change
one, change the other, and never change a field list once rows were chained with it (the
verifier would then name every old row).

- A row's content is a JSON object: `"table"` (app.model), `"id"`, and the fields listed in
  FIELDS under their column names (foreign keys as their id). Serialized with sorted keys, no
  whitespace (separators "," and ":"), UTF-8 without escapes; money as a string with two places
  ("199.00"), times in UTC as "YYYY-MM-DDTHH:MM:SS.ffffffZ", absent values as null.
- content digest = SHA-256 (hex) of those bytes.
- digest = SHA-256 (hex) of the ASCII text prev + content (two hex digests), where prev is the
  previous row's digest in the same chain, or GENESIS for the first row.
- A chain is a claim's (`claim:<pk>`) or, for ledger entries without a claim, a shop's
  (`shop:<pk>`). The daily root is the Merkle root of the leaves SHA-256("<chain>:<head>"),
  sorted by chain, each level hashing the concatenated hex of two nodes, an odd last node carried
  up as it is; no chains at all give SHA-256 of nothing."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

GENESIS = "0" * 64

FIELDS = {
    "audit.transitionlog": (
        "object_id",
        "transition",
        "source",
        "target",
        "at",
        "role",
        "channel",
        "user_id",
        "client_id",
        "actor_label",
        "reason",
    ),
    "claims.decision": (
        "claim_id",
        "outcome",
        "problem_code",
        "approved_amount",
        "reason",
        "decided_at",
        "automatic",
        "on_appeal",
        "role",
        "user_id",
    ),
    "claims.evidence": ("claim_id", "side", "kind", "content_type", "size", "sha256", "uploaded_at"),
    "claims.claimnote": ("claim_id", "text", "at", "role", "channel", "user_id", "client_id", "actor_label"),
    "claims.approvalstep": (
        "claim_id",
        "pending_id",
        "step",
        "approved_amount",
        "reason",
        "at",
        "role",
        "channel",
        "user_id",
        "client_id",
        "actor_label",
    ),
    "ledger.entry": (
        "kind",
        "amount",
        "points",
        "shop_id",
        "insurer_id",
        "plan_id",
        "policy_id",
        "claim_id",
        "finding_id",
        "payee",
        "created_at",
        "memo",
    ),
}
MONEY = {"approved_amount", "amount"}
# When each kind of row happened: the order the backfill chains existing rows in.
TIME_FIELD = {
    "audit.transitionlog": "at",
    "claims.decision": "decided_at",
    "claims.evidence": "uploaded_at",
    "claims.claimnote": "at",
    "claims.approvalstep": "at",
    "ledger.entry": "created_at",
}


def claim_chain(claim_pk) -> str:
    return f"claim:{claim_pk}"


def shop_chain(shop_pk) -> str:
    return f"shop:{shop_pk}"


def chain_of(label: str, row, claim_content_type_id=None) -> str | None:
    """The chain a row belongs to, or None for rows outside every chain (a policy's transitions)."""
    if label == "audit.transitionlog":
        return claim_chain(row.object_id) if row.content_type_id == claim_content_type_id else None
    if label == "ledger.entry":
        return claim_chain(row.claim_id) if row.claim_id else shop_chain(row.shop_id)
    return claim_chain(row.claim_id)


def utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _value(name, value):
    if value is None:
        return None
    if name in MONEY:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if isinstance(value, dt.datetime):
        return utc(value)
    if isinstance(value, (bool, int)):
        return value
    return str(value)


def content(label: str, row) -> dict:
    return {"table": label, "id": row.pk, **{name: _value(name, getattr(row, name)) for name in FIELDS[label]}}


def serialize(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_digest(label: str, row) -> str:
    return sha256(serialize(content(label, row)))


def link_digest(prev: str, content_hex: str) -> str:
    return sha256((prev + content_hex).encode("ascii"))


def leaf(chain: str, head: str) -> str:
    return sha256(f"{chain}:{head}".encode("ascii"))


def merkle_levels(leaves: list[str]) -> list[list[str]]:
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        pairs = [sha256((level[i] + level[i + 1]).encode("ascii")) for i in range(0, len(level) - 1, 2)]
        levels.append(pairs + ([level[-1]] if len(level) % 2 else []))
    return levels


def merkle_root(leaves: list[str]) -> str:
    return merkle_levels(leaves)[-1][0] if leaves else sha256(b"")


def merkle_proof(leaves: list[str], index: int) -> list[list[str]]:
    """[side, sibling] pairs from the leaf up: side "left" means the sibling goes first."""
    proof = []
    for level in merkle_levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(["left" if sibling < index else "right", level[sibling]])
        index //= 2
    return proof
