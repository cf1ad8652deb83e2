"""Benchmark statistics on plain numbers, each with its convention.

* Statistical neighbour average: the mean (or, if chosen, the median) of the
  neighbours that have data; a neighbour with a missing or suppressed value
  is left out, never counted as zero.  No neighbour with data: no average.
* Best statistical neighbour: the highest neighbour value when high is good,
  the lowest when low is good; none for info measures.
* Top quartile threshold: over all authorities with data, the upper quartile
  (75th percentile) when high is good, the lower quartile (25th) when low is
  good, with linear interpolation between order statistics (numpy's default,
  R's type 7); none for info measures.
  Councils print the threshold either as that boundary (``boundary``, the
  default) or as the first displayed value beyond it (``beyond``: at one
  decimal a boundary of 74.0 is printed 74.1 when high is good, 73.9 when low
  is good), see :func:`beyond`.
* Quartile band, A best to D, as DfE's Local Authority Interactive Tool (LAIT)
  does: the quartiles of all authorities cut the values into four bands; a
  value exactly on a boundary goes to the band of lower values (so for
  high-is-good the upper quartile itself is band B, for low-is-good the lower
  quartile itself is band A).
* National rank: 1 is best; tied values share the lowest rank number (1, 2, 2, 4).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from cyps_xl.engine.values import rounded



def neighbour_average(values: list, method: str = "mean") -> float | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if method == "median":
        return float(statistics.median(present))
    return float(sum(present) / len(present))


def best_neighbour(values: list, polarity: str) -> float | None:
    present = [v for v in values if v is not None]
    if not present or polarity not in ("high", "low"):
        return None
    return float(max(present) if polarity == "high" else min(present))


def percentile(values: list, fraction: float) -> float:
    """Linear interpolation between order statistics (R's type 7, numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (position - low) * (ordered[high] - ordered[low]))


def quartiles(values: list) -> tuple[float, float, float]:
    present = [float(v) for v in values if v is not None]
    return percentile(present, 0.25), percentile(present, 0.5), percentile(present, 0.75)


def top_quartile_threshold(values: list, polarity: str) -> float | None:
    present = [v for v in values if v is not None]
    if not present or polarity not in ("high", "low"):
        return None
    q1, _, q3 = quartiles(present)
    return q3 if polarity == "high" else q1


def beyond(boundary: float | None, decimals: int, polarity: str) -> float | None:
    """The first value shown at ``decimals`` places that is strictly better than ``boundary``."""
    if boundary is None or polarity not in ("high", "low"):
        return boundary
    step = Decimal(1).scaleb(-decimals)
    exact = Decimal(repr(boundary))
    if polarity == "high":
        shown = rounded(exact, decimals, ROUND_FLOOR) + step
    else:
        shown = rounded(exact, decimals, ROUND_CEILING) - step
    return float(shown)


def quartile_band(value: float | None, values: list, polarity: str) -> str | None:
    present = [v for v in values if v is not None]
    if value is None or not present or polarity not in ("high", "low"):
        return None
    q1, q2, q3 = quartiles(present)
    # position 0..3 counts the boundaries strictly below the value: a value on a
    # boundary stays in the band of lower values
    position = sum(1 for q in (q1, q2, q3) if value > q)
    return "DCBA"[position] if polarity == "high" else "ABCD"[position]


def national_rank(value: float | None, values: list, polarity: str) -> int | None:
    present = [v for v in values if v is not None]
    if value is None or not present or polarity not in ("high", "low"):
        return None
    better = sum(1 for v in present if (v > value if polarity == "high" else v < value))
    return better + 1


@dataclass(frozen=True)
class Comparators:
    sn_average: float | None
    sn_best: float | None
    national: float | None
    top_quartile: float | None
    regional: float | None
    quartile_band: str | None
    national_rank: int | None
    national_computed: bool = False
    regional_computed: bool = False
