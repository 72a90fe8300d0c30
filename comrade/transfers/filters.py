import datetime as dt

import django_filters
from rest_framework.exceptions import ValidationError

from comrade.ledger.models import TransactionToken


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 datetime with any offset, compared in UTC (PostgreSQL refuses offsets beyond
    +/-15:59, and a date out of range is a client error, not a 500)."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(dt.UTC)
            except (OverflowError, ValueError) as exc:
                raise ValidationError({self.field_name: ["Date and time out of range."]}) from exc
        return super().filter(qs, value)


class TransactionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TransactionToken.Status.choices)
    transaction_type = django_filters.ChoiceFilter(choices=TransactionToken.Type.choices)
    payment_method = django_filters.ChoiceFilter(choices=TransactionToken.PaymentMethod.choices)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = TransactionToken
        fields = ["status", "transaction_type", "payment_method"]
