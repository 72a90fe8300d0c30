import django_filters

from comrade.ledger.models import TransactionToken


class TransactionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TransactionToken.Status.choices)
    transaction_type = django_filters.ChoiceFilter(choices=TransactionToken.Type.choices)
    payment_method = django_filters.ChoiceFilter(choices=TransactionToken.PaymentMethod.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = TransactionToken
        fields = ["status", "transaction_type", "payment_method"]
