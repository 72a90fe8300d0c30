from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from comrade.groups.shares import split_pro_rata

cents = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100)


def test_exact_proportions():
    assert split_pro_rata(Decimal("54.00"), [("a", Decimal("10")), ("b", Decimal("20")), ("c", Decimal("30"))]) == [
        ("a", Decimal("9.00")),
        ("b", Decimal("18.00")),
        ("c", Decimal("27.00")),
    ]


def test_leftover_cents_go_to_the_largest_remainders():
    # exact shares 3.333.., 6.666..: floors 3.33 + 6.66 = 9.99, the cent goes to b (remainder 0.666 > 0.333)
    assert split_pro_rata(Decimal("10.00"), [("a", Decimal("1")), ("b", Decimal("2"))]) == [
        ("a", Decimal("3.33")),
        ("b", Decimal("6.67")),
    ]


def test_ties_go_to_the_earlier_key():
    assert split_pro_rata(Decimal("0.02"), [("a", Decimal("5")), ("b", Decimal("5")), ("c", Decimal("5"))]) == [
        ("a", Decimal("0.01")),
        ("b", Decimal("0.01")),
        ("c", Decimal("0.00")),
    ]


def test_no_positive_weight_splits_equally():
    assert split_pro_rata(Decimal("1.00"), [("a", Decimal("0")), ("b", Decimal("0")), ("c", Decimal("0"))]) == [
        ("a", Decimal("0.34")),
        ("b", Decimal("0.33")),
        ("c", Decimal("0.33")),
    ]


def test_nothing_to_split_among():
    assert split_pro_rata(Decimal("5.00"), []) == []


@given(total=cents, weights=st.lists(cents, min_size=1, max_size=30))
def test_parts_always_add_up_to_the_cent_and_stay_within_a_cent_of_exact(total, weights):
    parts = split_pro_rata(total, list(enumerate(weights)))

    assert sum(part for _, part in parts) == total
    assert all(part >= 0 and part == part.quantize(Decimal("0.01")) for _, part in parts)
    weight_sum = sum(weights)
    if weight_sum > 0:
        for (_, part), weight in zip(parts, weights, strict=True):
            assert abs(part - total * weight / weight_sum) < Decimal("0.01")
