"""A shop's monthly statement (R-STM-1): premiums charged and refunded, claims paid to it,
points granted against it and the net, read from the ledger for one Shanghai month."""

from dataclasses import dataclass, field
from decimal import Decimal

from catalogue.models import Insurer
from kernel.money import to_fen
from ledger.models import Entry, EntryKind
from ledger.services import balances

from .periods import Period


@dataclass
class StatementLine:
    insurer: Insurer | None
    premiums_charged: Decimal = Decimal("0.00")
    premiums_refunded: Decimal = Decimal("0.00")
    claims_paid: Decimal = Decimal("0.00")
    points: int = 0

    @property
    def net_premiums(self) -> Decimal:
        return self.premiums_charged - self.premiums_refunded

    @property
    def net(self) -> Decimal:
        """What the month left the shop with: claims paid to it less the premiums it paid."""
        return self.claims_paid - self.net_premiums

    def add(self, other: "StatementLine") -> None:
        self.premiums_charged += other.premiums_charged
        self.premiums_refunded += other.premiums_refunded
        self.claims_paid += other.claims_paid
        self.points += other.points


@dataclass
class Statement:
    shop_id: int
    period: Period
    by_insurer: list[StatementLine] = field(default_factory=list)
    total: StatementLine = field(default_factory=lambda: StatementLine(insurer=None))


def monthly_statement(shop_id: int, period: Period) -> Statement:
    """R-STM-1: the shop's ledger movements of the month, per insurer and in total."""
    entries = Entry.objects.for_merchant(shop_id).filter(
        created_at__gte=period.starts_at, created_at__lt=period.ends_at
    )
    groups = balances(entries, by=("insurer",))
    insurers = Insurer.objects.in_bulk([insurer_id for (insurer_id,) in groups])
    statement = Statement(shop_id=shop_id, period=period)
    for (insurer_id,), values in sorted(groups.items(), key=lambda item: insurers[item[0][0]].code):
        line = StatementLine(
            insurer=insurers[insurer_id],
            premiums_charged=to_fen(values[EntryKind.PREMIUM_CHARGED]),
            premiums_refunded=to_fen(values[EntryKind.PREMIUM_REFUNDED]),
            claims_paid=to_fen(values[EntryKind.CLAIM_PAID]),
            points=values["points"],
        )
        statement.by_insurer.append(line)
        statement.total.add(line)
    return statement
