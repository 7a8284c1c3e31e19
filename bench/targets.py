"""How a benchmark states its target: the measured figure, the same-run baseline, the ratio, met or not.

These machines are shared and noisy, so every target is a ratio to a baseline measured in the
same run (or, where the issue sets an absolute bound, that bound), and each benchmark prints
its verdicts so `run_all.py` can collect them into one summary.
"""

from __future__ import annotations

import statistics
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary_ms(values_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50": round(statistics.median(values_ms), 3),
        "p99": round(percentile(values_ms, 0.99), 3),
    }


def ratio_target(
    name: str,
    *,
    measured: float,
    baseline: float,
    at_least: float | None = None,
    at_most: float | None = None,
) -> dict[str, Any]:
    """`measured / baseline` must be >= `at_least` (or <= `at_most`)."""
    ratio = measured / baseline if baseline else float("inf")
    met = (at_least is None or ratio >= at_least) and (at_most is None or ratio <= at_most)
    bound = f">= {at_least}" if at_least is not None else f"<= {at_most}"
    return {
        "target": name,
        "measured": round(measured, 4),
        "baseline": round(baseline, 4),
        "ratio": round(ratio, 3),
        "wanted": f"ratio {bound}",
        "met": met,
    }


def bound_target(name: str, *, measured: float, at_most: float, unit: str) -> dict[str, Any]:
    """An absolute bound the issue sets (e.g. a cached start under 0.2 s)."""
    return {
        "target": name,
        "measured": round(measured, 4),
        "wanted": f"<= {at_most} {unit}",
        "met": measured <= at_most,
    }
