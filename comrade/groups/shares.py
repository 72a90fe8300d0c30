"""Splitting an amount of money in proportion to weights, exactly to the cent."""

from collections.abc import Hashable, Sequence
from decimal import Decimal
from fractions import Fraction

from comrade.core.money import CENT


def split_pro_rata(total: Decimal, weights: Sequence[tuple[Hashable, Decimal]]) -> list[tuple[Hashable, Decimal]]:
    """Largest-remainder split of `total` over `weights` (in the given order). Each key gets the
    floor of its exact share in cents; the cents left over go one each to the largest remainders,
    ties to the earlier key. With no positive weight the split is equal. The parts sum to `total`."""
    if not weights:
        return []
    values = [max(Fraction(weight), Fraction(0)) for _, weight in weights]
    if sum(values) == 0:
        values = [Fraction(1)] * len(weights)
    cents = int((total / CENT).to_integral_exact())
    exact = [Fraction(cents) * value / sum(values) for value in values]
    floors = [share.numerator // share.denominator for share in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[: cents - sum(floors)]:
        floors[i] += 1
    return [(key, Decimal(part) * CENT) for (key, _), part in zip(weights, floors, strict=True)]
