from rest_framework import serializers

from comrade.accounts.serializers import UserSerializer
from comrade.core.fields import IdField
from comrade.core.money import AmountField, MoneyOutField
from comrade.groups.models import (
    ApprovalDecision,
    ApprovalRequest,
    Contribution,
    GroupInvitation,
    GroupMembers,
    GroupTarget,
    PaymentGroups,
    RotationPayout,
)
from comrade.ledger.models import TransactionToken

Method = TransactionToken.PaymentMethod


class PaymentGroupSerializer(serializers.ModelSerializer):
    target_amount = MoneyOutField(allow_null=True)
    current_amount = MoneyOutField(source="pot.balance")
    member_count = serializers.IntegerField(read_only=True, default=None)
    my_role = serializers.CharField(read_only=True, default=None)

    class Meta:
        model = PaymentGroups
        fields = [
            "id",
            "name",
            "description",
            "admin",
            "group_type",
            "target_amount",
            "current_amount",
            "currency",
            "deadline",
            "is_active",
            "is_open",
            "closed_at",
            "rotation_cycle",
            "approvals_required",
            "member_count",
            "my_role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    group_type = serializers.ChoiceField(
        choices=PaymentGroups.GroupType.choices, default=PaymentGroups.GroupType.SAVINGS
    )
    target_amount = AmountField(required=False, allow_null=True, default=None)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    is_open = serializers.BooleanField(required=False, default=False)


class GroupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    target_amount = AmountField(required=False, allow_null=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    is_open = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class MemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    total_contributed = MoneyOutField()
    received_this_cycle = serializers.SerializerMethodField()

    class Meta:
        model = GroupMembers
        fields = ["id", "user", "role", "total_contributed", "joined_at", "payout_position", "received_this_cycle"]
        read_only_fields = fields

    def get_received_this_cycle(self, member: GroupMembers) -> bool:
        annotated = getattr(member, "received_this_cycle", None)
        if annotated is not None:
            return annotated
        return RotationPayout.objects.filter(
            group_id=member.group_id, cycle=member.group.rotation_cycle, user_id=member.user_id
        ).exists()


class ContributionSerializer(serializers.ModelSerializer):
    amount = MoneyOutField()
    token = serializers.CharField(source="transaction.token", read_only=True)
    payment_method = serializers.CharField(source="transaction.payment_method", read_only=True)

    class Meta:
        model = Contribution
        fields = [
            "id",
            "group",
            "member",
            "amount",
            "transaction",
            "token",
            "payment_method",
            "target",
            "contribution_date",
        ]
        read_only_fields = fields


class ContributeSerializer(serializers.Serializer):
    amount = AmountField()
    payment_method = serializers.ChoiceField(choices=Method.choices, default=Method.INTERNAL)
    external_payment_provider = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["payment_method"] == Method.EXTERNAL and not attrs["external_payment_provider"]:
            raise serializers.ValidationError(
                {"external_payment_provider": ["Choose a provider for an EXTERNAL contribution."]}, code="required"
            )
        return attrs


class GroupContributeSerializer(ContributeSerializer):
    target = IdField(required=False, allow_null=True, default=None)


class InviteSerializer(serializers.Serializer):
    invitee_email = serializers.EmailField()


class InvitationSerializer(serializers.ModelSerializer):
    group_name = serializers.CharField(source="group.name", read_only=True)
    inviter = UserSerializer(read_only=True)

    class Meta:
        model = GroupInvitation
        fields = [
            "id",
            "group",
            "group_name",
            "inviter",
            "invitee_email",
            "status",
            "expires_at",
            "responded_at",
            "created_at",
        ]
        read_only_fields = fields


class MemberRefSerializer(serializers.Serializer):
    user_id = IdField()


class RoleSerializer(MemberRefSerializer):
    role = serializers.ChoiceField(choices=GroupMembers.Role.choices)


class PayoutSerializer(MemberRefSerializer):
    amount = AmountField()
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class RotationSerializer(serializers.Serializer):
    order = serializers.ListField(child=IdField(), allow_empty=False)


class RotationPayoutSerializer(serializers.Serializer):
    amount = AmountField(required=False, allow_null=True, default=None)


class TargetSerializer(serializers.ModelSerializer):
    target_amount = MoneyOutField()
    current_amount = MoneyOutField()

    class Meta:
        model = GroupTarget
        fields = [
            "id",
            "group",
            "name",
            "description",
            "target_amount",
            "current_amount",
            "target_date",
            "is_achieved",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TargetCreateSerializer(serializers.Serializer):
    group = IdField()
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    target_amount = AmountField()
    target_date = serializers.DateField(required=False, allow_null=True, default=None)


class ApprovalsRequiredSerializer(serializers.Serializer):
    approvals_required = serializers.IntegerField(min_value=1, max_value=3)


class PotPurchaseParamsSerializer(serializers.Serializer):
    product_id = IdField()
    quantity = serializers.IntegerField(min_value=1, default=1)


class EmptyParamsSerializer(serializers.Serializer):
    pass


APPROVAL_PARAMS = {
    ApprovalRequest.Action.PAYOUT: PayoutSerializer,
    ApprovalRequest.Action.ROTATION_PAYOUT: RotationPayoutSerializer,
    ApprovalRequest.Action.POT_PURCHASE: PotPurchaseParamsSerializer,
    ApprovalRequest.Action.CLOSE: EmptyParamsSerializer,
    ApprovalRequest.Action.REMOVE_MEMBER: MemberRefSerializer,
    ApprovalRequest.Action.SET_ROLE: RoleSerializer,
    ApprovalRequest.Action.SET_APPROVALS_REQUIRED: ApprovalsRequiredSerializer,
}


class ApprovalCreateSerializer(serializers.Serializer):
    """`params` are the action's own request fields (payout: user_id, amount, description;
    rotation_payout: amount; pot_purchase: product_id, quantity; close: none; remove_member:
    user_id; set_role: user_id, role; set_approvals_required: approvals_required)."""

    action = serializers.ChoiceField(choices=ApprovalRequest.Action.choices)
    params = serializers.DictField(required=False, default=dict)

    def validate(self, attrs):
        params = APPROVAL_PARAMS[attrs["action"]](data=attrs["params"])
        if not params.is_valid():
            raise serializers.ValidationError({"params": params.errors})
        return {**attrs, "params": params.validated_data}


class ApprovalDecideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ApprovalRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class ApprovalDecisionSerializer(serializers.ModelSerializer):
    approver = UserSerializer(read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["id", "approver", "decision", "reason", "decided_at"]
        read_only_fields = fields


class ApprovalRequestSerializer(serializers.ModelSerializer):
    requested_by = UserSerializer(read_only=True)
    decisions = ApprovalDecisionSerializer(many=True, read_only=True)
    approvals = serializers.SerializerMethodField()
    approvals_required = serializers.IntegerField(source="group.approvals_required", read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "group",
            "action",
            "params",
            "requested_by",
            "status",
            "approvals",
            "approvals_required",
            "decisions",
            "failure_code",
            "failure_reason",
            "result",
            "expires_at",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_approvals(self, request: ApprovalRequest) -> int:
        return sum(1 for d in request.decisions.all() if d.decision == ApprovalDecision.Decision.APPROVE)
