import django_filters

from comrade.commerce.models import PaymentItem, Product


class ProductFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category", lookup_expr="iexact")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")
    is_available = django_filters.BooleanFilter()

    class Meta:
        model = Product
        fields = ["category", "min_price", "max_price", "is_available"]


class PaymentItemFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PaymentItem
        fields = ["is_active"]
