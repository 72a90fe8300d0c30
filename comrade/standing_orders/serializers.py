from rest_framework import serializers

from comrade.core.money import AmountField, MoneyOutField
from comrade.ledger.serializers import TransactionSerializer
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution


class StandingOrderInputSerializer(serializers.Serializer):
    """What a client may set. `recipient` is a user id and `group` a payment group id (one of
    the two); the rules that span fields (start date not in the past, end after start, one payee,
    not yourself) are the service's."""

    recipient = serializers.IntegerField(
        source="recipient_id", min_value=1, required=False, allow_null=True, default=None
    )
    group = serializers.IntegerField(source="group_id", min_value=1, required=False, allow_null=True, default=None)
    amount = AmountField()
    frequency = serializers.ChoiceField(choices=StandingOrder.Frequency.choices)
    payment_method = serializers.ChoiceField(
        choices=StandingOrder.PaymentMethod.choices, default=StandingOrder.PaymentMethod.INTERNAL
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)


class StandingOrderSerializer(serializers.ModelSerializer):
    amount = MoneyOutField()

    class Meta:
        model = StandingOrder
        fields = [
            "id",
            "user",
            "recipient",
            "group",
            "amount",
            "frequency",
            "payment_method",
            "description",
            "start_date",
            "end_date",
            "status",
            "status_reason",
            "is_active",
            "last_executed",
            "next_scheduled_for",
            "next_execution",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StandingOrderExecutionSerializer(serializers.ModelSerializer):
    transaction = TransactionSerializer(read_only=True)

    class Meta:
        model = StandingOrderExecution
        fields = ["id", "scheduled_for", "executed_at", "status", "attempts", "failure_reason", "transaction"]
        read_only_fields = fields
