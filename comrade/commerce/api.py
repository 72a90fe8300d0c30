from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import filters, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from comrade import limits
from comrade.commerce import selectors
from comrade.commerce.filters import PaymentItemFilter, ProductFilter
from comrade.commerce.models import Purchase, UserSubscription
from comrade.commerce.params import query_int
from comrade.commerce.recommendations import MAX_LIMIT, recommendations_for
from comrade.commerce.serializers import (
    CheckoutSerializer,
    PaymentItemSerializer,
    PlanSerializer,
    ProductCheckoutSerializer,
    ProductSerializer,
    PurchaseSerializer,
    RecommendationSerializer,
    SubscribeSerializer,
    SubscriptionSerializer,
)
from comrade.commerce.services import catalogue, purchases, subscriptions
from comrade.core.idempotency import idempotent
from comrade.groups.models import ApprovalRequest
from comrade.groups.serializers import ApprovalRequestSerializer
from comrade.groups.services import approval_request_or_run
from comrade.ledger.models import TransactionToken
from comrade.ledger.responses import failed_transaction_response
from comrade.ledger.serializers import TransactionSerializer


class IsStaffOrReadOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_staff)


def purchase_response(outcome: purchases.PurchaseOutcome) -> Response:
    """201 with the purchase when paid; 202 with the PENDING transaction (and its next_action)
    for an external payment; 400 when the payment failed."""
    if outcome.transaction.status == TransactionToken.Status.FAILED:
        return failed_transaction_response(outcome.transaction)
    if outcome.purchase is None:
        return Response(TransactionSerializer(outcome.transaction).data, status=status.HTTP_202_ACCEPTED)
    return Response(PurchaseSerializer(outcome.purchase).data, status=status.HTTP_201_CREATED)


class ProductViewSet(limits.TierThrottledMixin, viewsets.ModelViewSet):
    """Products: everyone signed in reads the available ones; staff see all and write."""

    serializer_class = ProductSerializer
    permission_classes = [permissions.IsAuthenticated, IsStaffOrReadOnly]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    filterset_class = ProductFilter
    search_fields = ["name"]
    ordering_fields = ["price", "name", "created_at"]
    money_actions = ("purchase",)

    def get_queryset(self):
        return selectors.products_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = catalogue.product_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = catalogue.product_update(product=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        catalogue.product_delete(product=instance)

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description=f"1 to {MAX_LIMIT}")],
        responses=RecommendationSerializer(many=True),
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def recommendations(self, request):
        limit = query_int(
            request.query_params, "limit", default=settings.RECOMMENDATIONS_DEFAULT_LIMIT, low=1, high=MAX_LIMIT
        )
        picks = recommendations_for(request.user, limit=limit)
        return Response(RecommendationSerializer(picks, many=True).data)

    @extend_schema(
        request=ProductCheckoutSerializer,
        responses={
            201: PurchaseSerializer,
            202: OpenApiResponse(
                description="An external checkout started (the transaction, PENDING), or, for a pot purchase in a "
                "group that needs several approvals, the PENDING approval request."
            ),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    @idempotent
    def purchase(self, request, pk=None):
        data = ProductCheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        product = selectors.product_get(pk)
        if fields["group_id"]:
            group = selectors.purchase_group_for(request.user, fields["group_id"])
            decided = approval_request_or_run(
                group=group,
                requester=request.user,
                action=ApprovalRequest.Action.POT_PURCHASE,
                params={"product_id": product.pk, "quantity": fields["quantity"]},
            )
            if decided.request is not None:
                return Response(ApprovalRequestSerializer(decided.request).data, status=status.HTTP_202_ACCEPTED)
            outcome = decided.result
        else:
            outcome = purchases.product_purchase(
                buyer=request.user,
                product=product,
                quantity=fields["quantity"],
                payment_method=fields["payment_method"],
                provider=fields["external_payment_provider"],
            )
        return purchase_response(outcome)


class PurchaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's purchases, newest first; anyone else's are 404."""

    serializer_class = PurchaseSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Purchase.objects.none()
        return selectors.purchases_of(self.request.user)


class PaymentItemViewSet(limits.TierThrottledMixin, viewsets.ModelViewSet):
    """Payment items: everyone signed in reads the active ones; staff see all and write."""

    serializer_class = PaymentItemSerializer
    permission_classes = [permissions.IsAuthenticated, IsStaffOrReadOnly]
    filterset_class = PaymentItemFilter
    money_actions = ("pay",)

    def get_queryset(self):
        return selectors.payment_items_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = catalogue.payment_item_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = catalogue.payment_item_update(item=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        catalogue.payment_item_delete(item=instance)

    @extend_schema(request=CheckoutSerializer, responses={201: PurchaseSerializer, 202: TransactionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    @idempotent
    def pay(self, request, pk=None):
        data = CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        outcome = purchases.payment_item_pay(
            payer=request.user,
            item=selectors.payment_item_get(pk),
            quantity=fields["quantity"],
            payment_method=fields["payment_method"],
            provider=fields["external_payment_provider"],
        )
        return purchase_response(outcome)


class SubscriptionViewSet(
    limits.TierThrottledMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's subscriptions (all of them, newest first); POST subscribes or changes tier."""

    serializer_class = SubscriptionSerializer
    filter_backends: list = []
    money_actions = ("create",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserSubscription.objects.none()
        return selectors.subscriptions_of(self.request.user)

    @extend_schema(request=SubscribeSerializer, responses={200: SubscriptionSerializer, 201: SubscriptionSerializer})
    @idempotent
    def create(self, request):
        data = SubscribeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = subscriptions.subscription_change(
            user=request.user,
            tier=data.validated_data["subscription_type"],
            auto_renew=data.validated_data["auto_renew"],
        )
        txn = change.transaction
        if txn is not None and txn.status == TransactionToken.Status.FAILED:
            return failed_transaction_response(txn)
        body = {
            **SubscriptionSerializer(change.subscription).data,
            "transaction": TransactionSerializer(txn).data if txn is not None else None,
        }
        return Response(body, status=status.HTTP_201_CREATED if change.created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        sub = subscriptions.subscription_cancel(subscription=self.get_object())
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(responses=PlanSerializer(many=True))
    @action(detail=False, pagination_class=None)
    def plans(self, request):
        return Response(PlanSerializer(limits.tiers().values(), many=True).data)
