from rest_framework import serializers

from comrade.accounts.serializers import UserSerializer
from comrade.core.fields import FieldsBuiltOnceMixin
from comrade.core.money import AmountField, MoneyOutField
from comrade.ledger.models import PaymentProfile, TransactionStatusChange, TransactionToken


class PaymentProfileSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    comrade_balance = MoneyOutField(source="account.balance")
    total_sent = MoneyOutField(source="account.total_out")
    total_received = MoneyOutField(source="account.total_in")

    class Meta:
        model = PaymentProfile
        fields = [
            "id",
            "user",
            "comrade_balance",
            "total_sent",
            "total_received",
            "payment_methods",
            "default_payment_method",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BalanceSerializer(serializers.Serializer):
    balance = MoneyOutField()


class FundSerializer(serializers.Serializer):
    amount = AmountField()
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)


class PaymentMethodSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    provider = serializers.CharField(max_length=32)
    token = serializers.CharField(max_length=255)
    label = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class DefaultMethodSerializer(serializers.Serializer):
    method_id = serializers.CharField(max_length=64)


class StatusChangeSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    status = serializers.CharField(source="to_status")

    class Meta:
        model = TransactionStatusChange
        fields = ["status", "reason", "created_at"]


class TransactionSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    amount = MoneyOutField()
    sender = serializers.PrimaryKeyRelatedField(read_only=True)
    receiver = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    related_transaction = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    status_history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)
    next_action = serializers.SerializerMethodField()

    class Meta:
        model = TransactionToken
        fields = [
            "id",
            "token",
            "sender",
            "receiver",
            "amount",
            "currency",
            "payment_method",
            "external_payment_provider",
            "transaction_type",
            "status",
            "description",
            "metadata",
            "authorization_code",
            "verification_date",
            "failure_reason",
            "failure_code",
            "related_transaction",
            "status_history",
            "next_action",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_next_action(self, txn) -> dict | None:
        """What the customer must do next for a PENDING external payment."""
        payment = getattr(txn, "external", None)
        if payment is None or txn.status != "PENDING" or payment.direction != "IN":
            return None
        if payment.redirect_url:
            return {"type": "redirect", "redirect_url": payment.redirect_url}
        if payment.provider_reference:
            return {"type": "confirm_on_device", "message": f"Confirm the payment in your {payment.provider} app."}
        return None
