"""HTTP entry points for payment groups, targets and invitations: validate, call one service,
serialize. Non-members get 404 for a group and all of its parts; members without admin rights 403."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from comrade import limits
from comrade.accounts.serializers import ErrorBodySerializer
from comrade.core.errors import ApplicationError
from comrade.core.idempotency import idempotent
from comrade.groups import selectors, services
from comrade.groups.dues_api import DuesActionsMixin
from comrade.groups.models import ApprovalRequest, GroupInvitation, GroupTarget, PaymentGroups
from comrade.groups.serializers import (
    ApprovalCreateSerializer,
    ApprovalDecideSerializer,
    ApprovalRejectSerializer,
    ApprovalRequestSerializer,
    ApprovalsRequiredSerializer,
    ContributeSerializer,
    ContributionSerializer,
    GroupContributeSerializer,
    GroupCreateSerializer,
    GroupUpdateSerializer,
    InvitationSerializer,
    InviteSerializer,
    MemberRefSerializer,
    MemberSerializer,
    PaymentGroupSerializer,
    PayoutSerializer,
    RoleSerializer,
    RotationPayoutSerializer,
    RotationSerializer,
    TargetCreateSerializer,
    TargetSerializer,
)
from comrade.ledger.models import TransactionToken
from comrade.ledger.responses import transaction_response
from comrade.ledger.serializers import TransactionSerializer
from comrade.statements import api as statements

Method = TransactionToken.PaymentMethod
UNVERIFIED_RESPONSE = OpenApiResponse(
    ErrorBodySerializer,
    description="`email_not_verified`: answering by id needs a verified email; the emailed token needs none.",
)


def contribute(*, group: PaymentGroups, user, fields: dict, target: GroupTarget | None) -> Response:
    if fields["payment_method"] == Method.EXTERNAL:
        txn = services.group_contribute_external(
            group=group,
            user=user,
            amount=fields["amount"],
            provider=fields["external_payment_provider"],
            target=target,
            description=fields["description"],
        )
    else:
        txn = services.group_contribute(
            group=group, user=user, amount=fields["amount"], target=target, description=fields["description"]
        )
    return transaction_response(txn)


PENDING_RESPONSE = OpenApiResponse(
    ApprovalRequestSerializer, description="The group requires several approvals: the PENDING request."
)
APPROVAL_STATUS = OpenApiParameter("status", str, enum=ApprovalRequest.Status.values, required=False)


def pending(outcome: services.Outcome) -> Response:
    return Response(ApprovalRequestSerializer(outcome.request).data, status=status.HTTP_202_ACCEPTED)


def validated(serializer_class, request, **kwargs) -> dict:
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


class PaymentGroupViewSet(
    DuesActionsMixin,
    limits.TierThrottledMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PaymentGroupSerializer
    filterset_fields = ["group_type", "is_active"]
    money_actions = ("contribute", "payout", "rotation_payout", "close")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PaymentGroups.objects.none()
        return selectors.groups_of(self.request.user)

    def _group(self) -> PaymentGroups:
        return selectors.group_for(self.request.user, self.kwargs["pk"])

    def _detail(self, group: PaymentGroups, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(selectors.group_for(self.request.user, group.pk)).data, status=code)

    @extend_schema(request=GroupCreateSerializer, responses={201: PaymentGroupSerializer})
    def create(self, request):
        group = services.group_create(admin=request.user, **validated(GroupCreateSerializer, request))
        return self._detail(group, status.HTTP_201_CREATED)

    @extend_schema(request=GroupUpdateSerializer, responses=PaymentGroupSerializer)
    def partial_update(self, request, pk=None):
        fields = validated(GroupUpdateSerializer, request, partial=True)
        group = services.group_update(group=self._group(), admin=request.user, **fields)
        return self._detail(group)

    @extend_schema(responses=PaymentGroupSerializer(many=True))
    @action(detail=False)
    def my_groups(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=MemberSerializer(many=True))
    @action(detail=True)
    def members(self, request, pk=None):
        page = self.paginate_queryset(selectors.members_of(self._group()))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(responses=ContributionSerializer(many=True))
    @action(detail=True)
    def contributions_list(self, request, pk=None):
        page = self.paginate_queryset(selectors.contributions_of(self._group()))
        return self.get_paginated_response(ContributionSerializer(page, many=True).data)

    @extend_schema(responses=InvitationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def invitations(self, request, pk=None):
        page = self.paginate_queryset(selectors.invitations_of_group(self._group()))
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        group = selectors.joinable_group(request.user, pk)
        membership = services.group_join(group=group, user=request.user)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GroupContributeSerializer, responses={201: TransactionSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def contribute(self, request, pk=None):
        group = self._group()
        fields = validated(GroupContributeSerializer, request)
        target = selectors.target_for(request.user, fields["target"]) if fields["target"] else None
        return contribute(group=group, user=request.user, fields=fields, target=target)

    @extend_schema(request=InviteSerializer, responses={201: InvitationSerializer, 200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        group = self._group()
        fields = validated(InviteSerializer, request)
        result = services.group_invite(group=group, inviter=request.user, invitee_email=fields["invitee_email"])
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(InvitationSerializer(result.invitation).data, status=code)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"], url_path=r"invitations/(?P<invitation_id>[0-9]{1,18})/cancel")
    def invitation_cancel(self, request, pk=None, invitation_id=None):
        invitation = services.invitation_cancel(
            group=self._group(), user=request.user, invitation_id=int(invitation_id)
        )
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        services.group_leave(group=self._group(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _request_or_run(self, action_name: str, serializer_class) -> services.Outcome:
        """Non-members get 404 before their input is read; then one service call."""
        group = self._group()
        params = validated(serializer_class, self.request) if serializer_class else {}
        return services.approval_request_or_run(
            group=group, requester=self.request.user, action=action_name, params=params
        )

    @extend_schema(request=MemberRefSerializer, responses={204: None, 202: PENDING_RESPONSE})
    @action(detail=True, methods=["post"])
    def remove_member(self, request, pk=None):
        outcome = self._request_or_run(ApprovalRequest.Action.REMOVE_MEMBER, MemberRefSerializer)
        if outcome.request is not None:
            return pending(outcome)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RoleSerializer, responses={200: MemberSerializer, 202: PENDING_RESPONSE})
    @action(detail=True, methods=["post"])
    def set_role(self, request, pk=None):
        outcome = self._request_or_run(ApprovalRequest.Action.SET_ROLE, RoleSerializer)
        if outcome.request is not None:
            return pending(outcome)
        return Response(MemberSerializer(outcome.result).data)

    @extend_schema(request=PayoutSerializer, responses={201: TransactionSerializer, 202: PENDING_RESPONSE})
    @action(detail=True, methods=["post"])
    @idempotent
    def payout(self, request, pk=None):
        outcome = self._request_or_run(ApprovalRequest.Action.PAYOUT, PayoutSerializer)
        if outcome.request is not None:
            return pending(outcome)
        return transaction_response(outcome.result)

    @extend_schema(request=ApprovalsRequiredSerializer, responses={200: PaymentGroupSerializer, 202: PENDING_RESPONSE})
    @action(detail=True, methods=["post"])
    def approvals_required(self, request, pk=None):
        outcome = self._request_or_run(ApprovalRequest.Action.SET_APPROVALS_REQUIRED, ApprovalsRequiredSerializer)
        if outcome.request is not None:
            return pending(outcome)
        return self._detail(outcome.result)

    @extend_schema(methods=["GET"], parameters=[APPROVAL_STATUS], responses=ApprovalRequestSerializer(many=True))
    @extend_schema(methods=["POST"], request=ApprovalCreateSerializer, responses={201: ApprovalRequestSerializer})
    @action(detail=True, methods=["get", "post"])
    def approvals(self, request, pk=None):
        group = self._group()
        if request.method == "POST":
            fields = validated(ApprovalCreateSerializer, request)
            approval = services.approval_request_create(group=group, requester=request.user, **fields)
            return Response(ApprovalRequestSerializer(approval).data, status=status.HTTP_201_CREATED)
        wanted = validated_query(request, "status", ApprovalRequest.Status.values)
        page = self.paginate_queryset(selectors.approval_requests_of(group, status=wanted))
        return self.get_paginated_response(ApprovalRequestSerializer(page, many=True).data)

    @extend_schema(request=ApprovalDecideSerializer, responses=ApprovalRequestSerializer)
    @action(detail=True, methods=["post"], url_path=r"approvals/(?P<request_id>[0-9]{1,18})/approve")
    def approval_approve(self, request, pk=None, request_id=None):
        group = self._group()
        fields = validated(ApprovalDecideSerializer, request)
        approval = services.approval_approve(
            group=group, approver=request.user, request_id=int(request_id), reason=fields["reason"]
        )
        return Response(ApprovalRequestSerializer(selectors.approval_request_for(group, approval.pk)).data)

    @extend_schema(request=ApprovalRejectSerializer, responses=ApprovalRequestSerializer)
    @action(detail=True, methods=["post"], url_path=r"approvals/(?P<request_id>[0-9]{1,18})/reject")
    def approval_reject(self, request, pk=None, request_id=None):
        group = self._group()
        fields = validated(ApprovalRejectSerializer, request)
        approval = services.approval_reject(
            group=group, approver=request.user, request_id=int(request_id), reason=fields["reason"]
        )
        return Response(ApprovalRequestSerializer(selectors.approval_request_for(group, approval.pk)).data)

    @extend_schema(request=RotationSerializer, responses=MemberSerializer(many=True))
    @action(detail=True, methods=["post"], pagination_class=None)
    def rotation(self, request, pk=None):
        group = self._group()
        fields = validated(RotationSerializer, request)
        members = services.group_rotation_set(group=group, admin=request.user, order=fields["order"])
        return Response(MemberSerializer(members, many=True).data)

    @extend_schema(request=RotationPayoutSerializer, responses={201: TransactionSerializer, 202: PENDING_RESPONSE})
    @action(detail=True, methods=["post"])
    @idempotent
    def rotation_payout(self, request, pk=None):
        outcome = self._request_or_run(ApprovalRequest.Action.ROTATION_PAYOUT, RotationPayoutSerializer)
        if outcome.request is not None:
            return pending(outcome)
        return transaction_response(outcome.result)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "GroupClosed", {"group": PaymentGroupSerializer(), "refunds": TransactionSerializer(many=True)}
            ),
            202: PENDING_RESPONSE,
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request, pk=None):
        outcome = self._request_or_run(ApprovalRequest.Action.CLOSE, None)
        if outcome.request is not None:
            return pending(outcome)
        body = {
            "group": self.get_serializer(selectors.group_for(request.user, pk)).data,
            "refunds": TransactionSerializer(outcome.result, many=True).data,
        }
        return Response(body)

    @statements.statement_schema(group=True)
    @action(detail=True, pagination_class=None, content_negotiation_class=statements.StatementNegotiation)
    def statement(self, request, pk=None):
        return statements.group_statement_response(request, self._group())


def validated_query(request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in choices:
        raise ApplicationError(
            "validation_error", f"Invalid input: {name}.", fields={name: [f"Choose one of {', '.join(choices)}."]}
        )
    return value


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invitations addressed to the caller's verified email, looked up by id, or any invitation by
    the token of its emailed link (see services/invitations.py for who may answer)."""

    serializer_class = InvitationSerializer
    filterset_fields = ["status"]
    lookup_value_regex = r"[A-Za-z0-9_\-]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GroupInvitation.objects.none()
        return selectors.invitations_for(self.request.user)

    def get_object(self) -> GroupInvitation:
        return selectors.invitation_for(self.request.user, self.kwargs["pk"])

    @extend_schema(request=None, responses={201: MemberSerializer, 403: UNVERIFIED_RESPONSE})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        token = selectors.invitation_token_in(pk)
        membership = services.invitation_accept(invitation=self.get_object(), user=request.user, token=token)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvitationSerializer, 403: UNVERIFIED_RESPONSE})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        token = selectors.invitation_token_in(pk)
        invitation = services.invitation_decline(invitation=self.get_object(), user=request.user, token=token)
        return Response(InvitationSerializer(invitation).data)


class TargetViewSet(
    limits.TierThrottledMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = TargetSerializer
    filterset_fields = ["group", "is_achieved"]
    money_actions = ("contribute",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GroupTarget.objects.none()
        return selectors.targets_of(self.request.user)

    @extend_schema(request=TargetCreateSerializer, responses={201: TargetSerializer})
    def create(self, request):
        fields = validated(TargetCreateSerializer, request)
        group = selectors.group_for(request.user, fields.pop("group"))
        target = services.target_create(group=group, admin=request.user, **fields)
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContributeSerializer, responses={201: TransactionSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def contribute(self, request, pk=None):
        target = self.get_object()
        fields = validated(ContributeSerializer, request)
        return contribute(group=target.group, user=request.user, fields=fields, target=target)
