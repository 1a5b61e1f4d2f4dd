"""The risk-pricing formula (R-RATE-1), kept pure so its properties can be tested on their own.

A shop's rate starts from the plan's base rate and moves with its own record against the
plan's industry figures: claim frequency and loss ratio relative to the industry, receipt
disputes it lost and buyers flagged on its claims. A young shop's record is trusted in
proportion to its size (credibility), so a handful of policies cannot swing the rate."""

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine itself needs no Django: a plan is read for its parameters only
    from catalogue.models import Plan

WINDOW_DAYS = 180
CREDIBLE_POLICIES = 200
WEIGHTS = {
    "claim_frequency": Decimal("0.40"),
    "loss_ratio": Decimal("0.40"),
    "disputes_lost": Decimal("0.30"),
    "flagged_buyers": Decimal("0.20"),
}
RELATIVE_CAP = Decimal("3")


@dataclass(frozen=True)
class ShopRecord:
    policies: int = 0
    claims: int = 0
    premiums: Decimal = Decimal("0.00")
    claims_paid: Decimal = Decimal("0.00")
    disputes_lost: int = 0
    flagged_buyers: int = 0


def _relative(value, industry):
    """How far above (+) or below (−) the industry figure, capped so one outlier cannot run away."""
    if industry <= 0:
        return Decimal("0")
    return max(Decimal("-1"), min(RELATIVE_CAP, value / industry - 1))


def price(plan: "Plan", record: ShopRecord) -> tuple[Decimal, dict[str, Any]]:
    """Return (rate, factors) for a shop's record under `plan`. Bounded by floor and ceiling;
    never lower for a worse record (more claims, more paid out, more disputes lost or flags)."""
    policies = Decimal(record.policies)
    credibility = min(Decimal("1"), policies / CREDIBLE_POLICIES) if policies else Decimal("0")
    frequency = Decimal(record.claims) / policies if policies else Decimal("0")
    loss_ratio = record.claims_paid / record.premiums if record.premiums > 0 else Decimal("0")
    expected_claims = max(Decimal("1"), policies * plan.industry_claim_rate)
    contributions = {
        "claim_frequency": WEIGHTS["claim_frequency"] * _relative(frequency, plan.industry_claim_rate),
        "loss_ratio": WEIGHTS["loss_ratio"] * _relative(loss_ratio, plan.industry_loss_ratio),
        "disputes_lost": WEIGHTS["disputes_lost"] * min(Decimal("1"), record.disputes_lost / expected_claims),
        "flagged_buyers": WEIGHTS["flagged_buyers"] * min(Decimal("1"), record.flagged_buyers / expected_claims),
    }
    contributions = {name: (value * credibility).quantize(Decimal("0.0001")) for name, value in contributions.items()}
    multiplier = 1 + sum(contributions.values())
    unbounded = plan.base_rate * multiplier
    rate = min(plan.rate_ceiling, max(plan.rate_floor, unbounded)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    factors = {
        "window_days": WINDOW_DAYS,
        "record": {k: str(v) for k, v in asdict(record).items()},
        "claim_frequency": str(frequency.quantize(Decimal("0.0001"))),
        "loss_ratio": str(loss_ratio.quantize(Decimal("0.0001"))),
        "industry_claim_rate": str(plan.industry_claim_rate),
        "industry_loss_ratio": str(plan.industry_loss_ratio),
        "credibility": str(credibility.quantize(Decimal("0.0001"))),
        "contributions": {k: str(v) for k, v in contributions.items()},
        "base_rate": str(plan.base_rate),
        "unbounded_rate": str(unbounded.quantize(Decimal("0.0001"))),
    }
    return rate, factors
