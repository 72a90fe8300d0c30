from django.utils import timezone
from rest_framework import serializers

from comrade.gateways.models import ExternalPayment
from comrade.gateways.selectors import flag_cutoff


class OpenPaymentSerializer(serializers.ModelSerializer):
    """One payment still open at its provider, with why."""

    token = serializers.CharField(source="transaction.token")
    transaction_id = serializers.IntegerField(source="transaction.pk")
    transaction_type = serializers.CharField(source="transaction.transaction_type")
    transaction_status = serializers.CharField(source="transaction.status")
    amount = serializers.DecimalField(source="transaction.amount", max_digits=14, decimal_places=2)
    currency = serializers.CharField(source="transaction.currency")
    failure_code = serializers.CharField(source="transaction.failure_code")
    open_for_seconds = serializers.SerializerMethodField()
    flagged = serializers.SerializerMethodField()
    last_outcome = serializers.CharField(allow_null=True)
    last_detail = serializers.CharField(allow_null=True)

    class Meta:
        model = ExternalPayment
        fields = [
            "id",
            "token",
            "transaction_id",
            "transaction_type",
            "transaction_status",
            "amount",
            "currency",
            "provider",
            "direction",
            "provider_reference",
            "provider_status",
            "failure_code",
            "created_at",
            "open_for_seconds",
            "flagged",
            "check_count",
            "last_checked_at",
            "next_check_at",
            "last_outcome",
            "last_detail",
        ]
        read_only_fields = fields

    def get_open_for_seconds(self, payment) -> int:
        return int((timezone.now() - payment.created_at).total_seconds())

    def get_flagged(self, payment) -> bool:
        flagged = getattr(payment, "is_flagged", None)  # open_payments() annotates it (selectors.flagged_q)
        return bool(flagged) if flagged is not None else payment.created_at < flag_cutoff(timezone.now())
