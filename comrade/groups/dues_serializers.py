"""Serializers for dues and the rotation round (the HTTP shapes; the rules are in the services)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from comrade.core.fields import IdField
from comrade.core.money import CENT, MAX_DIGITS, AmountField, MoneyOutField
from comrade.groups.models import DuesObligation, DuesSchedule


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(DuesSchedule.Frequency.values)})$",
        "description": f"One of {', '.join(DuesSchedule.Frequency.values)}.",
    }
)
class DuesFrequencyField(serializers.ChoiceField):
    """A pattern, not an enum, in the schema: `frequency` is also a standing order field with
    other choices, and two enums of one name collide in the generated components."""

    def __init__(self, **kwargs):
        super().__init__(choices=DuesSchedule.Frequency.choices, **kwargs)


class DuesScheduleSerializer(serializers.ModelSerializer):
    amount = MoneyOutField()
    frequency = DuesFrequencyField(read_only=True)
    fine_value = serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = DuesSchedule
        fields = [
            "group",
            "amount",
            "frequency",
            "interval_days",
            "first_due_date",
            "grace_days",
            "fine_kind",
            "fine_value",
            "remind_days_before",
            "remind_on_arrears",
            "periods_created",
            "updated_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DuesScheduleSetSerializer(serializers.Serializer):
    amount = AmountField()
    frequency = DuesFrequencyField()
    interval_days = serializers.IntegerField(min_value=1, max_value=3660, required=False, allow_null=True, default=None)
    first_due_date = serializers.DateField()
    grace_days = serializers.IntegerField(min_value=0, max_value=365, required=False, default=0)
    fine_kind = serializers.ChoiceField(
        choices=DuesSchedule.FineKind.choices, required=False, default=DuesSchedule.FineKind.NONE
    )
    fine_value = serializers.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=2, min_value=CENT, required=False, allow_null=True, default=None
    )
    remind_days_before = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True, default=None
    )
    remind_on_arrears = serializers.BooleanField(required=False, default=False)


class DuesObligationSerializer(serializers.ModelSerializer):
    user_email = serializers.EmailField(source="user.email", read_only=True)
    amount = MoneyOutField()
    paid_amount = MoneyOutField()
    outstanding = MoneyOutField()
    in_arrears = serializers.SerializerMethodField()

    class Meta:
        model = DuesObligation
        fields = [
            "id",
            "group",
            "user",
            "user_email",
            "kind",
            "period_start",
            "period_end",
            "due_date",
            "arrears_from",
            "amount",
            "paid_amount",
            "outstanding",
            "status",
            "in_arrears",
            "fine_for",
            "paid_at",
            "waived_by",
            "waived_at",
            "waive_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_in_arrears(self, obligation: DuesObligation) -> bool:
        return obligation.status == DuesObligation.Status.OPEN and obligation.arrears_from <= timezone.localdate()


class MemberDuesSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    balance_due = MoneyOutField()
    arrears = MoneyOutField()
    credit = MoneyOutField()
    paid = MoneyOutField()


class DuesViewSerializer(serializers.Serializer):
    members = MemberDuesSerializer(many=True)
    obligations = DuesObligationSerializer(many=True)


class DuesQuerySerializer(serializers.Serializer):
    user_id = IdField(required=False, allow_null=True, default=None)


class WaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, allow_blank=False, trim_whitespace=True)


class MissingSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    amount = MoneyOutField()


class NextMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    payout_position = serializers.IntegerField()


class RotationRoundSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    status = serializers.CharField()
    transaction = serializers.IntegerField(source="transaction_id", allow_null=True)
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    attempts = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class RotationStatusSerializer(serializers.Serializer):
    rotation_requires_full_round = serializers.BooleanField()
    rotation_auto = serializers.BooleanField()
    rotation_cycle = serializers.IntegerField()
    next_member = NextMemberSerializer(allow_null=True)
    current_period_start = serializers.DateField(allow_null=True)
    next_due_date = serializers.DateField(allow_null=True)
    round_complete = serializers.BooleanField()
    missing = MissingSerializer(many=True)
    last_auto_round = RotationRoundSerializer(allow_null=True)


class RotationSettingsSerializer(serializers.Serializer):
    rotation_requires_full_round = serializers.BooleanField(required=False)
    rotation_auto = serializers.BooleanField(required=False)
