import json

from rest_framework import serializers

from comrade.core.money import AmountField
from comrade.ledger.models import TransactionToken

MAX_METADATA_BYTES = 4096


class MetadataField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if len(json.dumps(value)) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"At most {MAX_METADATA_BYTES} bytes.")
        return value


class CreateTransactionSerializer(serializers.Serializer):
    receiver_id = serializers.IntegerField(required=False, min_value=1)
    amount = AmountField()
    payment_method = serializers.ChoiceField(choices=TransactionToken.PaymentMethod.choices)
    transaction_type = serializers.ChoiceField(choices=TransactionToken.Type.choices, default="TRANSFER")
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    metadata = MetadataField(required=False, default=dict)
    external_payment_provider = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        internal = attrs["payment_method"] == TransactionToken.PaymentMethod.INTERNAL
        if not internal and not attrs["external_payment_provider"]:
            raise serializers.ValidationError(
                {"external_payment_provider": ["Required for EXTERNAL transactions."]}, code="required"
            )
        if internal and attrs["transaction_type"] != TransactionToken.Type.TRANSFER:
            raise serializers.ValidationError(
                {
                    "transaction_type": [
                        "INTERNAL transactions created here are TRANSFERs; groups, products and "
                        "subscriptions have their own endpoints."
                    ]
                },
                code="unsupported_transaction_type",
            )
        if internal and "receiver_id" not in attrs:
            raise serializers.ValidationError({"receiver_id": ["This field is required."]}, code="required")
        return attrs


class RefundSerializer(serializers.Serializer):
    amount = AmountField(required=False)
