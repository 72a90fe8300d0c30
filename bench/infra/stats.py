"""Throughput and latency figures from a list of per-operation latencies."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of unsorted `values` (q in 0..100); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def summary(latencies_s: Sequence[float], *, seconds: float, errors: int = 0) -> dict:
    """ops, errors, ops/s over `seconds`, and p50/p99/max latency in milliseconds."""
    ops = len(latencies_s)
    return {
        "ops": ops,
        "errors": errors,
        "seconds": round(seconds, 2),
        "per_second": round(ops / seconds, 1) if seconds > 0 else math.nan,
        "p50_ms": round(percentile(latencies_s, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies_s, 99) * 1000, 2),
        "max_ms": round(max(latencies_s) * 1000, 2) if latencies_s else math.nan,
    }


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 3) if whole else math.nan
