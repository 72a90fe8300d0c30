"""Serializer fields shared by the apps."""

from rest_framework import serializers

MAX_ID = 2**63 - 1  # the largest value of a 64-bit primary key (BigAutoField)


class IdField(serializers.IntegerField):
    """An object id in a request body. Bounded to the 64-bit key range, so that 10**30 is a 400
    and not an OverflowError (SQLite) or NumericValueOutOfRange (PostgreSQL) at query time."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
