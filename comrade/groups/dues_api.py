"""HTTP entry points for dues and the rotation round, mixed into PaymentGroupViewSet (so they live
under /payments/payment-groups/{id}/). Members read; admins write (403 otherwise); non-members get
404 for all of it."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from comrade.core.errors import NotFound
from comrade.core.fields import MAX_ID
from comrade.groups import dues_selectors
from comrade.groups.dues_serializers import (
    DuesObligationSerializer,
    DuesQuerySerializer,
    DuesScheduleSerializer,
    DuesScheduleSetSerializer,
    DuesViewSerializer,
    RotationSettingsSerializer,
    RotationStatusSerializer,
    WaiveSerializer,
)
from comrade.groups.services.dues import ScheduleTerms, dues_fine_waive, dues_schedule_set
from comrade.groups.services.rounds import rotation_settings_set

OBLIGATION_ID = OpenApiParameter("obligation_id", int, OpenApiParameter.PATH, description="A dues obligation's id.")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class DuesActionsMixin:
    @extend_schema(methods=["GET"], request=None, responses=DuesScheduleSerializer)
    @extend_schema(methods=["PUT"], request=DuesScheduleSetSerializer, responses=DuesScheduleSerializer)
    @action(detail=True, methods=["get", "put"], url_path="dues/schedule", pagination_class=None)
    def dues_schedule(self, request, pk=None):
        group = self._group()
        if request.method == "PUT":
            terms = ScheduleTerms(**_valid(DuesScheduleSetSerializer, request.data))
            schedule = dues_schedule_set(group=group, admin=request.user, terms=terms)
        else:
            schedule = dues_selectors.schedule_of(group)
        return Response(DuesScheduleSerializer(schedule).data)

    @extend_schema(
        parameters=[OpenApiParameter("user_id", int, description="Admins only: one member's dues.")],
        responses=DuesViewSerializer,
    )
    @action(detail=True, methods=["get"], url_path="dues", pagination_class=None)
    def dues(self, request, pk=None):
        group = self._group()
        query = _valid(DuesQuerySerializer, request.query_params)
        view = dues_selectors.dues_for(group, request.user, query["user_id"])
        return Response(DuesViewSerializer(view).data)

    @extend_schema(parameters=[OBLIGATION_ID], request=WaiveSerializer, responses=DuesObligationSerializer)
    @action(detail=True, methods=["post"], url_path=r"dues/(?P<obligation_id>[0-9]+)/waive")
    def dues_waive(self, request, pk=None, obligation_id=None):
        group = self._group()
        if int(obligation_id) > MAX_ID:
            raise NotFound("No such obligation in this group.")
        fields = _valid(WaiveSerializer, request.data)
        obligation = dues_fine_waive(
            group=group, admin=request.user, obligation_id=int(obligation_id), reason=fields["reason"]
        )
        return Response(DuesObligationSerializer(obligation).data, status=status.HTTP_200_OK)

    @extend_schema(responses=RotationStatusSerializer)
    @action(detail=True, methods=["get"], url_path="rotation/status", pagination_class=None)
    def rotation_status(self, request, pk=None):
        status_ = dues_selectors.rotation_status(self._group())
        return Response(RotationStatusSerializer(status_).data)

    @extend_schema(request=RotationSettingsSerializer, responses=RotationStatusSerializer)
    @action(detail=True, methods=["put"], url_path="rotation/settings")
    def rotation_settings(self, request, pk=None):
        fields = _valid(RotationSettingsSerializer, request.data)
        group = rotation_settings_set(
            group=self._group(),
            admin=request.user,
            requires_full_round=fields.get("rotation_requires_full_round"),
            auto=fields.get("rotation_auto"),
        )
        return Response(RotationStatusSerializer(dues_selectors.rotation_status(group)).data)
