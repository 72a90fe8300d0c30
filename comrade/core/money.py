"""Money is Decimal with two places, everywhere. These fields are the only way amounts enter or
leave the models and the API."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from rest_framework import serializers

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 14


def money_model_field(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2, **kwargs)


class AmountField(serializers.DecimalField):
    """An amount a client sends: a string or a number, > 0, at most two decimals, at most
    MAX_TRANSACTION_AMOUNT. A float arrives as its repr and is checked like a string, so
    0.1 + 0.2 style values with long tails are refused rather than rounded."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", CENT)
        kwargs.setdefault("max_value", settings.MAX_TRANSACTION_AMOUNT)
        super().__init__(max_digits=MAX_DIGITS, decimal_places=2, **kwargs)


class MoneyOutField(serializers.DecimalField):
    """An amount the API sends out: always a string with exactly two decimals."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=MAX_DIGITS, decimal_places=2, coerce_to_string=True, **kwargs)
