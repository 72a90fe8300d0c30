from django.conf import settings
from rest_framework import serializers

from comrade.commerce.models import PaymentItem, Product, Purchase, UserSubscription
from comrade.commerce.services.purchases import MAX_QUANTITY
from comrade.core.money import AmountField, MoneyOutField
from comrade.ledger.models import TransactionToken
from comrade.ledger.serializers import TransactionSerializer


class ProductSerializer(serializers.ModelSerializer):
    price = AmountField()

    class Meta:
        model = Product
        fields = ["id", "name", "description", "price", "category", "is_available", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class RecommendationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="product.id")
    name = serializers.CharField(source="product.name")
    description = serializers.CharField(source="product.description")
    price = MoneyOutField(source="product.price")
    category = serializers.CharField(source="product.category")
    is_available = serializers.BooleanField(source="product.is_available")
    score = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    reason = serializers.CharField()


class PaymentItemSerializer(serializers.ModelSerializer):
    price = AmountField()
    currency = serializers.CharField(max_length=3, required=False)  # the service fills the deployment's

    class Meta:
        model = PaymentItem
        fields = ["id", "name", "description", "price", "currency", "is_active"]
        read_only_fields = ["id"]


class CheckoutSerializer(serializers.Serializer):
    """Body of `purchase` and `pay`: the price is never the client's."""

    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    payment_method = serializers.ChoiceField(
        choices=TransactionToken.PaymentMethod.choices, default=TransactionToken.PaymentMethod.INTERNAL
    )
    external_payment_provider = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        external = attrs["payment_method"] == TransactionToken.PaymentMethod.EXTERNAL
        if external and not attrs["external_payment_provider"]:
            raise serializers.ValidationError(
                {"external_payment_provider": ["Required for EXTERNAL payments."]}, code="required"
            )
        return attrs


class ProductCheckoutSerializer(CheckoutSerializer):
    group_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["group_id"] and attrs["payment_method"] != TransactionToken.PaymentMethod.INTERNAL:
            raise serializers.ValidationError(
                {"payment_method": ["A purchase from a group pot is INTERNAL."]}, code="invalid"
            )
        return attrs


class PurchaseSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True, default=None)
    payment_item_name = serializers.CharField(source="payment_item.name", read_only=True, default=None, allow_null=True)
    unit_price = MoneyOutField()
    total = MoneyOutField()
    transaction = TransactionSerializer(read_only=True)

    class Meta:
        model = Purchase
        fields = [
            "id",
            "buyer",
            "product",
            "product_name",
            "payment_item",
            "payment_item_name",
            "quantity",
            "unit_price",
            "total",
            "group",
            "transaction",
            "created_at",
        ]
        read_only_fields = fields


class PlanSerializer(serializers.Serializer):
    subscription_type = serializers.CharField(source="name")
    price = MoneyOutField()
    currency = serializers.SerializerMethodField()
    period_days = serializers.SerializerMethodField()
    max_group_members = serializers.IntegerField(allow_null=True)
    max_purchases_per_month = serializers.IntegerField(allow_null=True)
    max_groups_created = serializers.IntegerField(allow_null=True)
    max_purchase_amount = MoneyOutField(allow_null=True)
    transactions_per_hour = serializers.IntegerField(allow_null=True)

    def get_currency(self, plan) -> str:
        return settings.DEFAULT_CURRENCY

    def get_period_days(self, plan) -> int:
        return settings.SUBSCRIPTION_PERIOD_DAYS


class SubscriptionSerializer(serializers.ModelSerializer):
    next_subscription_type = serializers.CharField(read_only=True, allow_blank=True)
    price = MoneyOutField()

    class Meta:
        model = UserSubscription
        fields = [
            "id",
            "user",
            "subscription_type",
            "status",
            "start_date",
            "end_date",
            "auto_renew",
            "price",
            "next_subscription_type",
            "grace_until",
            "last_transaction",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SubscribeSerializer(serializers.Serializer):
    subscription_type = serializers.ChoiceField(choices=UserSubscription.Tier.choices)
    auto_renew = serializers.BooleanField(default=True)
