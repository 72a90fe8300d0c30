from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from comrade.core.idempotency import idempotent
from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.selectors import executions_of, standing_orders_of
from comrade.standing_orders.serializers import (
    StandingOrderExecutionSerializer,
    StandingOrderInputSerializer,
    StandingOrderSerializer,
)
from comrade.standing_orders.services import (
    standing_order_cancel,
    standing_order_create,
    standing_order_pause,
    standing_order_resume,
    standing_order_update,
)


class StandingOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's standing orders; anyone else's are 404. DELETE cancels (history is kept)."""

    serializer_class = StandingOrderSerializer
    filterset_fields = ["status", "is_active", "frequency"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return StandingOrder.objects.none()
        return standing_orders_of(self.request.user)

    @extend_schema(request=StandingOrderInputSerializer, responses={201: StandingOrderSerializer})
    @idempotent
    def create(self, request):
        data = StandingOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = standing_order_create(user=request.user, **data.validated_data)
        return Response(StandingOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StandingOrderInputSerializer, responses=StandingOrderSerializer)
    def update(self, request, pk=None, partial=False):
        order = self.get_object()
        data = StandingOrderInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        order = standing_order_update(order=order, data=data.validated_data)
        return Response(StandingOrderSerializer(order).data)

    @extend_schema(request=StandingOrderInputSerializer, responses=StandingOrderSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        standing_order_cancel(order=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=StandingOrderSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return Response(StandingOrderSerializer(standing_order_pause(order=self.get_object())).data)

    @extend_schema(request=None, responses=StandingOrderSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return Response(StandingOrderSerializer(standing_order_resume(order=self.get_object())).data)

    @extend_schema(responses=StandingOrderExecutionSerializer(many=True))
    @action(detail=True)
    def executions(self, request, pk=None):
        page = self.paginate_queryset(executions_of(self.get_object()))
        return self.get_paginated_response(StandingOrderExecutionSerializer(page, many=True).data)
