"""Staff API of the incoming bank side: upload a statement file, and work the exceptions queue.
Every endpoint needs staff with a one-time password (StaffOTPVerified), as every money action."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from comrade.accounts.permissions import StaffOTPVerified
from comrade.bank.models import BankEntry, BankException, BankStatement
from comrade.bank.services.exceptions import exception_assign, exception_dismiss, exception_return
from comrade.bank.services.statements import statement_file_import, statement_size_check
from comrade.core.errors import field_error
from comrade.core.fields import IdField

STAFF = [permissions.IsAdminUser, StaffOTPVerified]


class BankDetailsSerializer(serializers.Serializer):
    account_name = serializers.CharField()
    iban = serializers.CharField()
    bic = serializers.CharField()
    reference = serializers.CharField(help_text="This wallet's ISO 11649 RF reference: quote it on the transfer.")
    currency = serializers.CharField()


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A camt.053, camt.054 or MT940 file.")


class ImportResultSerializer(serializers.Serializer):
    statement_id = serializers.IntegerField()
    kind = serializers.CharField()
    message_id = serializers.CharField()
    lines = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    credited = serializers.IntegerField()
    payouts = serializers.IntegerField()
    exceptions = serializers.IntegerField()


class BankStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = [
            "id",
            "message_id",
            "kind",
            "account_iban",
            "source",
            "filename",
            "digest",
            "imported_by",
            "imported_at",
            "entries_created",
            "entries_duplicate",
            "credited",
            "payouts",
            "exceptions",
        ]


class BankEntrySerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    deposit = serializers.SlugRelatedField(slug_field="token", read_only=True)

    class Meta:
        model = BankEntry
        fields = [
            "id",
            "statement",
            "entry_reference",
            "direction",
            "amount",
            "currency",
            "booking_date",
            "value_date",
            "end_to_end_id",
            "remittance",
            "counterparty_name",
            "counterparty_iban",
            "is_return",
            "return_reason",
            "outcome",
            "wallet_reference",
            "deposit",
        ]


class BankExceptionSerializer(serializers.ModelSerializer):
    entry = BankEntrySerializer(read_only=True)
    deposit = serializers.SlugRelatedField(slug_field="token", read_only=True)

    class Meta:
        model = BankException
        fields = [
            "id",
            "entry",
            "reason",
            "detail",
            "status",
            "assigned_user",
            "deposit",
            "note",
            "decided_by",
            "decided_at",
            "created_at",
        ]


class AssignSerializer(serializers.Serializer):
    user_id = IdField()


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class DismissSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255)


class BankStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imported statements, newest first; POST a file to import one."""

    permission_classes = STAFF
    serializer_class = BankStatementSerializer
    parser_classes = [MultiPartParser]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return BankStatement.objects.order_by("-id")

    @extend_schema(request={"multipart/form-data": StatementUploadSerializer}, responses={201: ImportResultSerializer})
    def create(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise field_error("file", "Attach the statement file as `file`.", code="required")
        statement_size_check(size=upload.size)
        result = statement_file_import(
            data=upload.read(), filename=upload.name or "", imported_by=request.user, source="api"
        )
        return Response(ImportResultSerializer(result).data, status=status.HTTP_201_CREATED)


class BankExceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The exceptions queue: open ones by default, oldest first; `?status=ASSIGNED|RETURNED|
    DISMISSED|ALL` shows the decided ones with who decided and when."""

    permission_classes = STAFF
    serializer_class = BankExceptionSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        queryset = BankException.objects.select_related("entry", "entry__deposit", "deposit").order_by("id")
        wanted = self.request.query_params.get("status", BankException.Status.OPEN).upper()
        if wanted == "ALL" or self.action != "list":
            return queryset
        if wanted not in BankException.Status.values:
            raise field_error("status", f"Unknown status {wanted!r}.")
        return queryset.filter(status=wanted)

    @extend_schema(parameters=[OpenApiParameter("status", str, required=False)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AssignSerializer, responses=BankExceptionSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = _valid(AssignSerializer, request)
        exception = exception_assign(exception_id=int(pk), user_id=data["user_id"], decided_by=request.user)
        return Response(BankExceptionSerializer(exception).data)

    @extend_schema(request=ReturnSerializer, responses=BankExceptionSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def mark_return(self, request, pk=None):
        data = _valid(ReturnSerializer, request)
        exception = exception_return(exception_id=int(pk), reason=data["reason"], decided_by=request.user)
        return Response(BankExceptionSerializer(exception).data)

    @extend_schema(request=DismissSerializer, responses=BankExceptionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        data = _valid(DismissSerializer, request)
        exception = exception_dismiss(exception_id=int(pk), note=data["note"], decided_by=request.user)
        return Response(BankExceptionSerializer(exception).data)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
