from rest_framework import serializers

from comrade.accounts.serializers import UserSerializer
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


class StatusChangeSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="to_status")

    class Meta:
        model = TransactionStatusChange
        fields = ["status", "reason", "created_at"]


class TransactionSerializer(serializers.ModelSerializer):
    amount = MoneyOutField()
    sender = serializers.PrimaryKeyRelatedField(read_only=True)
    receiver = serializers.PrimaryKeyRelatedField(read_only=True)
    status_history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)

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
            "related_transaction",
            "status_history",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
