from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from comrade.accounts.permissions import StaffOTPVerified
from comrade.core.idempotency import idempotent
from comrade.core.pagination import NewestFirstCursorPagination
from comrade.gateways.services import external_transaction_create, payment_cancel, refund_create
from comrade.ledger.models import TransactionToken
from comrade.ledger.responses import transaction_response
from comrade.ledger.selectors import transactions_of
from comrade.ledger.serializers import TransactionSerializer
from comrade.transfers.filters import TransactionFilter
from comrade.transfers.serializers import CreateTransactionSerializer, RefundSerializer
from comrade.transfers.services import transfer_create


class TransactionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's transactions (as sender or receiver); anyone else's are 404."""

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TransactionToken.objects.none()
        return transactions_of(self.request.user)

    def idempotent_in_one_transaction(self, request) -> bool:
        """An internal transfer calls no provider: its Idempotency-Key claim, the transfer and the
        stored answer commit together (comrade/core/idempotency.py). External payments do not."""
        return self.action == "create_transaction" and (
            isinstance(request.data, dict) and request.data.get("payment_method") == "INTERNAL"
        )

    @extend_schema(request=CreateTransactionSerializer, responses={201: TransactionSerializer})
    @action(detail=False, methods=["post"])
    @idempotent
    def create_transaction(self, request):
        data = CreateTransactionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if fields["payment_method"] == TransactionToken.PaymentMethod.EXTERNAL:
            txn = external_transaction_create(
                user=request.user,
                transaction_type=fields["transaction_type"],
                amount=fields["amount"],
                provider=fields["external_payment_provider"],
                description=fields["description"],
                metadata=fields["metadata"],
            )
            return transaction_response(txn)
        txn = transfer_create(
            sender=request.user,
            receiver_id=fields["receiver_id"],
            amount=fields["amount"],
            description=fields["description"],
            metadata=fields["metadata"],
        )
        return transaction_response(txn)

    @extend_schema(
        responses=inline_serializer(
            "TransactionHistoryPage",
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": TransactionSerializer(many=True),
            },
        )
    )
    @action(detail=False, pagination_class=NewestFirstCursorPagination)
    def history(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses=TransactionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        txn = payment_cancel(txn=self.get_object(), user=request.user)
        return Response(TransactionSerializer(txn).data)

    @extend_schema(request=RefundSerializer, responses={201: TransactionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAdminUser, StaffOTPVerified])
    @idempotent
    def refund(self, request, pk=None):
        data = RefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        original = get_object_or_404(TransactionToken.objects.select_related("external"), pk=pk)
        txn = refund_create(original=original, amount=data.validated_data.get("amount"), staff=request.user)
        return transaction_response(txn)
