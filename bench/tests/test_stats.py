import math

from bench.infra.stats import percentile, ratio, summary


def test_percentile_is_nearest_rank():
    values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]
    assert percentile(values, 50) == 5
    assert percentile(values, 99) == 10
    assert percentile(values, 10) == 1
    assert math.isnan(percentile([], 50))


def test_summary_counts_per_second_over_the_measured_seconds():
    figures = summary([0.010] * 99 + [0.200], seconds=10, errors=2)
    assert figures["ops"] == 100 and figures["errors"] == 2
    assert figures["per_second"] == 10.0
    assert figures["p50_ms"] == 10.0 and figures["p99_ms"] == 10.0 and figures["max_ms"] == 200.0
    assert ratio(110, 1250) == 0.088
