"""The purchases phase and the hot/uniform pots name their ratios for what they are over, the
report shows them, and a broken invariant is a violation (no timing is asserted here)."""

from bench import group_pot, purchases
from bench.report import markdown
from bench.run import violations


def figures(per_second: float, p99: float = 10.0) -> dict:
    return {"ops": 100, "errors": 0, "per_second": per_second, "p50_ms": 5.0, "p99_ms": p99}


PURCHASES = {
    "database": "PostgreSQL",
    "users": 10_000,
    "clients": 8,
    "revenue_shards": 16,
    "transfers": figures(200.0),
    "purchases": figures(170.0),
    "purchases_one_revenue_account": figures(80.0),
    "revenue_equals_purchases": True,
}
POT = {
    "members": 200,
    "contributions": figures(60.0, p99=3000.0),
    "pot": "12.00",
    "pot_equals_sum": True,
    "uniform": {
        "contributions": figures(80.0, p99=2000.0),
        "pots": 200,
        "sum_of_pots": "12.00",
        "pots_equal_sums": True,
    },
}


def test_purchase_ratios_are_over_the_transfers_of_the_same_run():
    assert purchases.ratios(PURCHASES) == {
        "purchases_over_transfers": 0.85,
        "purchases_one_revenue_account_over_transfers": 0.4,
        "purchases_over_one_revenue_account": 2.125,
    }
    assert purchases.ratios({"transfers": figures(100.0), "purchases": figures(50.0)}) == {
        "purchases_over_transfers": 0.5
    }


def test_the_hot_pot_is_compared_with_the_uniform_pots():
    assert group_pot.ratios(POT) == {"hot_pot_over_uniform": 0.75, "hot_pot_p99_over_uniform_p99": 1.5}


def test_the_report_shows_purchases_and_both_pots():
    document = {
        "started": "2026-12-02T08:00:00",
        "machine": {"cpus": 2, "cpu_model": "x", "memory_gb": 4, "python": "3.11", "postgres": "15", "commit": "abc"},
        "knobs": {"clients": 8, "workers": 5, "seconds": 20, "warmup": 3},
        "results": {
            "purchases": {**PURCHASES, "ratios": purchases.ratios(PURCHASES)},
            "group_pot": {**POT, "ratios": group_pot.ratios(POT)},
        },
        "violations": [],
    }
    text = markdown(document)
    assert "wallet purchases, revenue in 16 shards | 170" in text
    assert "wallet purchases, one revenue account | 80" in text
    assert "| purchases_over_transfers | 0.850 |" in text
    assert "uniform: 200 pots, one per member" in text and "| hot_pot_over_uniform | 0.750 |" in text


def test_revenue_and_uniform_pot_mismatches_are_violations():
    found = {
        "purchases": {**PURCHASES, "revenue_equals_purchases": False},
        "group_pot": {**POT, "uniform": {**POT["uniform"], "pots_equal_sums": False}},
    }
    assert violations(found) == [
        "purchases: sales revenue did not rise by the sum of the purchases",
        "group_pot: a uniform pot does not equal the sum of its contributions",
    ]
