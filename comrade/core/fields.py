"""Serializer fields shared by the apps."""

import copy

from rest_framework import serializers

MAX_ID = 2**63 - 1  # the largest value of a 64-bit primary key (BigAutoField)


class IdField(serializers.IntegerField):
    """An object id in a request body. Bounded to the 64-bit key range, so that 10**30 is a 400
    and not an OverflowError (SQLite) or NumericValueOutOfRange (PostgreSQL) at query time."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class FieldsBuiltOnceMixin:
    """For a ModelSerializer on a hot path: its fields are built from the model once per class and
    deep-copied per instance, as a plain Serializer does with its declared fields, instead of
    introspecting the model on every instantiation (about a millisecond per transaction answer,
    docs/performance.md). Only for serializers whose fields depend on nothing but their Meta."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)
