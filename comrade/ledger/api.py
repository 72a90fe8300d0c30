from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from comrade.accounts.permissions import StaffOTPVerified
from comrade.bank.api import BankDetailsSerializer
from comrade.bank.selectors import bank_details
from comrade.core.errors import Forbidden
from comrade.core.idempotency import idempotent
from comrade.ledger.models import PaymentProfile
from comrade.ledger.payment_methods import payment_method_add, payment_method_remove, payment_method_set_default
from comrade.ledger.selectors import profile_for, profiles_visible_to
from comrade.ledger.serializers import (
    BalanceSerializer,
    DefaultMethodSerializer,
    FundSerializer,
    PaymentMethodSerializer,
    PaymentProfileSerializer,
    TransactionSerializer,
)
from comrade.ledger.services import wallet_fund
from comrade.statements import api as statements


class PaymentProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Wallets. The list is for staff; a user sees only their own profile (others: 404)."""

    serializer_class = PaymentProfileSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return PaymentProfile.objects.none()
        return profiles_visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        if not request.user.is_staff:
            raise Forbidden("staff_only", "Only staff can list payment profiles.")
        return super().list(request, *args, **kwargs)

    @action(detail=False)
    def my_profile(self, request):
        return Response(PaymentProfileSerializer(profile_for(request.user)).data)

    @extend_schema(responses=BalanceSerializer)
    @action(detail=False)
    def balance(self, request):
        return Response(BalanceSerializer({"balance": profile_for(request.user).account.balance}).data)

    @extend_schema(request=FundSerializer, responses={201: TransactionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAdminUser, StaffOTPVerified])
    @idempotent
    def fund(self, request, pk=None):
        profile = self.get_object()
        data = FundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        txn = wallet_fund(user=profile.user, funded_by=request.user, **data.validated_data)
        return Response(TransactionSerializer(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=PaymentMethodSerializer(many=True))
    @extend_schema(methods=["post"], request=PaymentMethodSerializer, responses={201: PaymentMethodSerializer})
    @action(detail=False, methods=["get", "post"], pagination_class=None)
    def payment_methods(self, request):
        profile = profile_for(request.user)
        if request.method == "GET":
            return Response(PaymentMethodSerializer(profile.payment_methods, many=True).data)
        data = PaymentMethodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        method = payment_method_add(profile=profile, **data.validated_data)
        return Response(PaymentMethodSerializer(method).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["delete"], url_path=r"payment_methods/(?P<method_id>[\w-]+)")
    def remove_payment_method(self, request, method_id: str):
        payment_method_remove(profile=profile_for(request.user), method_id=method_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=DefaultMethodSerializer, responses=PaymentProfileSerializer)
    @action(detail=False, methods=["post"])
    def set_default_payment_method(self, request):
        data = DefaultMethodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = payment_method_set_default(profile=profile_for(request.user), **data.validated_data)
        return Response(PaymentProfileSerializer(profile_for(profile.user)).data)

    @extend_schema(
        responses={
            200: BankDetailsSerializer,
            404: OpenApiResponse(description="Bank transfers are not configured (`bank_transfers_disabled`)."),
        }
    )
    @action(detail=False, pagination_class=None)
    def bank_details(self, request):
        """Where to send a bank transfer to top up my wallet, and the RF reference to quote."""
        details = bank_details(profile=profile_for(request.user))
        return Response(BankDetailsSerializer(details).data)

    @statements.statement_schema(group=False)
    @action(detail=False, pagination_class=None, content_negotiation_class=statements.StatementNegotiation)
    def statement(self, request):
        return statements.wallet_statement_response(request)
