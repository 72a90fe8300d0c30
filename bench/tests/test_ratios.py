"""The transfer benchmark names every ratio for what it is over (no timing is asserted here)."""

from bench.transfers import ratios


def test_ratios_are_over_the_pgbench_floor_and_only_for_paths_that_ran():
    result = {
        "pgbench_schema": {"per_second": 800.0, "p50_ms": 5.0},
        "pgbench_minimal": {"per_second": 1000.0, "p50_ms": 4.0},
        "service": {"per_second": 400.0, "p50_ms": 20.0},
        "http_with_key": {"per_second": 200.0, "p50_ms": 40.0},
        "http_without_key": {"per_second": 250.0, "p50_ms": 30.0},
    }
    found = ratios(result)
    assert found == {
        "service_over_pgbench_floor": 0.5,
        "http_over_pgbench_floor": 0.25,
        "http_without_key_over_pgbench_floor": 0.312,
        "http_with_key_over_without": 0.8,
        "pgbench_schema_over_minimal": 0.8,
    }
