"""Reading and checking the hash chains and their daily roots (R-AUD-1; audit.canonical says how
each digest is made, ChainLink.objects.append writes them)."""

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.timeutil import shanghai_date, shanghai_midnight

from . import canonical
from .canonical import claim_chain, utc
from .models import ChainHead, ChainLink, DailyRoot

__all__ = ["claim_chain", "utc", "day_end", "head_of", "heads_at", "make_daily_root", "verify", "Problem", "Report"]


def day_end(day: dt.date) -> dt.datetime:
    return shanghai_midnight(day + dt.timedelta(days=1))


def heads_at(moment: dt.datetime) -> list[tuple[str, str]]:
    """(chain, head digest) of every chain as it stood just before `moment`, sorted by chain."""
    before = ChainLink.objects.filter(at__lt=moment)
    last = before.filter(chain=OuterRef("chain")).order_by("-seq").values("seq")[:1]
    rows = before.filter(seq=Subquery(last)).order_by("chain").values_list("chain", "digest")
    return list(rows)


def root_of(heads: list[tuple[str, str]]) -> str:
    return canonical.merkle_root([canonical.leaf(chain, head) for chain, head in heads])


def make_daily_root(day: dt.date, now: dt.datetime | None = None) -> tuple[DailyRoot, bool]:
    """The root of `day` (Asia/Shanghai), kept once the day is over: (root, whether it is new)."""
    now = now or timezone.now()
    if day_end(day) > now:
        raise ValueError(f"{day} is not over yet")
    existing = DailyRoot.objects.filter(day=day).first()
    if existing:
        return existing, False
    heads = heads_at(day_end(day))
    root = DailyRoot(day=day, root=root_of(heads), chains=len(heads), computed_at=now)
    root.save()
    return root, True


def head_of(chain: str) -> dict:
    """A chain's head for an evidence pack's manifest, with the daily root that covers it and the
    Merkle path from its leaf to that root (None while that day's root is not made yet)."""
    head = ChainHead.objects.filter(chain=chain).first()
    if head is None:
        return {"chain": chain, "head": canonical.GENESIS, "length": 0, "root": None}
    day = shanghai_date(head.at)
    covering = DailyRoot.objects.filter(day=day).first()
    root = None
    if covering:
        heads = heads_at(day_end(day))
        leaves = [canonical.leaf(name, digest) for name, digest in heads]
        index = next(i for i, (name, _digest) in enumerate(heads) if name == chain)
        root = {
            "day": day.isoformat(),
            "root": covering.root,
            "leaf": leaves[index],
            "proof": canonical.merkle_proof(leaves, index),
        }
    return {"chain": chain, "head": head.digest, "length": head.seq, "root": root}


@dataclass
class Problem:
    chain: str
    seq: int | None
    table: str
    row_id: int | None
    what: str

    def __str__(self):
        at = f"#{self.seq}" if self.seq is not None else ""
        row = f"{self.table} {self.row_id}" if self.row_id is not None else self.table
        return f"{self.chain}{at} {row}: {self.what}"


@dataclass
class Report:
    chains: int = 0
    rows: int = 0
    roots: int = 0
    problems: list[Problem] = field(default_factory=list)


BATCH = 500


def verify(claim_pk: int | None = None, now: dt.datetime | None = None) -> Report:
    """Recompute every chain (or one claim's) from the rows as they are now, and every daily
    root, and name each row, link or root that no longer matches (R-AUD-1). Records on each
    chain's head when it was checked and whether it matched. Chains are read BATCH at a time."""
    now = now or timezone.now()
    report = Report()
    chosen = ChainHead.objects.order_by("chain")
    if claim_pk is not None:
        chosen = chosen.filter(chain=claim_chain(claim_pk))
    heads: list[tuple[int, str, int, str]] = list(chosen.values_list("pk", "chain", "seq", "digest"))
    bad = set()
    for start in range(0, len(heads), BATCH):
        batch = heads[start : start + BATCH]
        bad |= _verify_chains(batch, report)
    for problem in _unlinked(claim_pk):
        report.problems.append(problem)
        bad.add(problem.chain)
    report.chains = len(heads)
    if claim_pk is None:
        report.problems.extend(_check_roots(report))
    matched = [pk for pk, chain, _seq, _digest in heads if chain not in bad]
    ChainHead.objects.filter(pk__in=matched).update(verified_at=now, verified_ok=True)
    ChainHead.objects.filter(chain__in=bad).update(verified_at=now, verified_ok=False)
    return report


def _verify_chains(heads: list[tuple[int, str, int, str]], report: Report) -> set[str]:
    links = list(ChainLink.objects.filter(chain__in=[chain for _pk, chain, _s, _d in heads]).order_by("chain", "seq"))
    by_table: dict[str, list[int]] = {}
    for link in links:
        by_table.setdefault(link.table, []).append(link.row_id)
    rows = {label: apps.get_model(label).objects.in_bulk(ids) for label, ids in by_table.items()}
    bad: set[str] = set()
    previous: dict[str, tuple[str, int]] = {}
    for link in links:
        report.rows += 1
        prev, seq = previous.get(link.chain, (canonical.GENESIS, 0))
        row = rows[link.table].get(link.row_id)
        problem = None
        if row is None:
            problem = _("the row was removed")
        elif canonical.content_digest(link.table, row) != link.content_digest:
            problem = _("the row's content no longer matches its digest")
        elif link.seq != seq + 1 or link.prev_digest != prev:
            problem = _("the link does not follow the one before it")
        elif canonical.link_digest(prev, link.content_digest) != link.digest:
            problem = _("the link's digest does not match")
        if problem:
            report.problems.append(Problem(link.chain, link.seq, link.table, link.row_id, str(problem)))
            bad.add(link.chain)
        previous[link.chain] = (canonical.link_digest(prev, link.content_digest), link.seq)
    for _pk, chain, seq, digest in heads:
        if (digest, seq) != previous.get(chain, (canonical.GENESIS, 0)):
            report.problems.append(Problem(chain, seq, "audit.chainhead", None, str(_("the head does not match"))))
            bad.add(chain)
    return bad


def _unlinked(claim_pk):
    """History rows that belong to a chain and are in none: written behind the application's back."""
    claim_type = ContentType.objects.get_by_natural_key("claims", "claim").pk
    for label in canonical.FIELDS:
        model = apps.get_model(label)
        rows = model.objects.exclude(pk__in=ChainLink.objects.filter(table=label).values("row_id"))
        if label == "audit.transitionlog":
            rows = rows.filter(content_type_id=claim_type)
            if claim_pk is not None:
                rows = rows.filter(object_id=claim_pk)
        elif claim_pk is not None:
            rows = rows.filter(claim_id=claim_pk)
        for row in rows.iterator():
            chain = canonical.chain_of(label, row, claim_type)
            yield Problem(chain, None, label, row.pk, str(_("the row is in no chain")))


def _check_roots(report):
    for kept in DailyRoot.objects.order_by("day"):
        report.roots += 1
        recomputed = root_of(heads_at(day_end(kept.day)))
        if recomputed != kept.root:
            yield Problem(f"root:{kept.day}", None, "audit.dailyroot", kept.pk, str(_("the daily root does not match")))
