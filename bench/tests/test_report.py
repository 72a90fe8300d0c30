"""The markdown of a run shows the standing orders' rate next to the service layer's of the same run."""

from bench.report import _standing_orders


def test_standing_orders_row_shows_the_service_rate_and_the_ratio():
    result = {
        "orders_loaded": 100_000,
        "schedulers": 2,
        "seconds": 80.0,
        "orders_per_second": 1250.0,
        "service_transfers": {"per_second": 200.0},
        "ratios": {"standing_orders_over_service_transfers": 6.25},
        "orders_paid_more_than_once": 0,
        "orders_paid_zero_times": 0,
        "second_pass_handled": 0,
        "exactly_once": True,
    }
    table = _standing_orders({"standing_orders": result})
    assert "standing_orders_over_service_transfers" in table
    assert "| 100,000 | 2 | 80.00 | 1,250 | 200 | 6.250 | 0 | 0 | 0 | yes |" in table


def test_an_older_result_without_the_service_rate_still_renders():
    result = {
        "orders_loaded": 10,
        "schedulers": 2,
        "seconds": 1.0,
        "orders_per_second": 10.0,
        "orders_paid_more_than_once": 0,
        "orders_paid_zero_times": 0,
        "second_pass_handled": 0,
        "exactly_once": False,
    }
    assert "| 10 | 2 | 1.00 | 10.00 | - | - | 0 | 0 | 0 | NO |" in _standing_orders({"standing_orders": result})
