"""Histograms of hours for the service figures' percentiles (R-KPI-1), kept per day in the rollups.

A duration is counted in units of 0.01 h (36 s), the figures' own rounding. Below 128 units
(1.28 h) every unit is a bucket of its own, so short times are exact; above, each power of two is
cut into 64 buckets, each at most 1/64 of its lower bound wide. A bucket reads as its midpoint, so
a percentile is off by at most half a bucket: 1/128 = 0.78 % of the true value. Buckets merge by
adding counts, and a histogram never has more than 64 per doubling (about 700 up to 30 days)."""

from collections import Counter
from collections.abc import Iterable, Mapping

EXACT_BELOW = 128
SUB_BUCKETS = 64
MAX_RELATIVE_ERROR = 1 / (2 * SUB_BUCKETS)


def bucket(hours: float) -> int:
    """The lower bound, in 0.01 h, of the bucket that holds `hours`."""
    units = max(0, round(hours * 100))
    if units < EXACT_BELOW:
        return units
    shift = units.bit_length() - SUB_BUCKETS.bit_length()
    return (units >> shift) << shift


def _midpoint(lower: int) -> float:
    if lower < EXACT_BELOW:
        return lower / 100
    width = 1 << (lower.bit_length() - SUB_BUCKETS.bit_length())
    return (lower + (width - 1) / 2) / 100


def add(histogram: dict[str, int], hours: float) -> None:
    key = str(bucket(hours))
    histogram[key] = histogram.get(key, 0) + 1


def merge(histograms: Iterable[Mapping[str, int]]) -> Counter[int]:
    total: Counter[int] = Counter()
    for histogram in histograms:
        for key, count in histogram.items():
            total[int(key)] += count
    return total


def percentile(counts: Mapping[int, int], share: float) -> float | None:
    """The `share` percentile as statistics.quantiles(method="inclusive") places it: between the
    order statistics at share × (n - 1), each read as its bucket's midpoint."""
    n = sum(counts.values())
    if not n:
        return None
    position = share * (n - 1)
    below, fraction = int(position), position - int(position)
    low = high = None
    seen = 0
    for lower in sorted(counts):
        seen += counts[lower]
        if low is None and seen > below:
            low = _midpoint(lower)
        if seen > below + 1 or (seen > below and fraction == 0):
            high = _midpoint(lower)
            break
    if low is None:
        return None
    high = low if high is None else high
    return round(low + fraction * (high - low), 2)
