"""Outgoing bank transfers over the API: the user's saved bank accounts, and for staff the
pain.001 payment files (list, download) and the upload of the bank's pain.002 status reports."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from comrade.accounts.permissions import StaffOTPVerified
from comrade.bank.formats.pain002 import MAX_BYTES
from comrade.bank.models import BankAccount, PaymentFile, PaymentFileEntry, StatusReport
from comrade.bank.services.accounts import bank_account_create, bank_account_delete
from comrade.bank.services.pain002 import pain002_import
from comrade.core.errors import ApplicationError, field_error


class BankAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankAccount
        fields = ["id", "holder_name", "iban", "bic", "created"]
        read_only_fields = ["id", "created"]
        extra_kwargs = {"bic": {"required": False, "allow_blank": True}, "iban": {"max_length": 64}}


class BankAccountViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The user's saved bank accounts, the destinations of bank withdrawals. Another user's account
    is a 404. An IBAN failing its checksum or its country's format, or a BIC that is not the IBAN's
    bank, is a 400 naming the field."""

    serializer_class = BankAccountSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return BankAccount.objects.none()
        return BankAccount.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = bank_account_create(user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(account).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        bank_account_delete(user=request.user, account_id=int(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentFileEntrySerializer(serializers.ModelSerializer):
    token = serializers.CharField(source="payment.transaction.token")
    transaction_status = serializers.CharField(source="payment.transaction.status")

    class Meta:
        model = PaymentFileEntry
        fields = [
            "end_to_end_id",
            "token",
            "transaction_status",
            "amount",
            "creditor_name",
            "creditor_iban",
            "creditor_bic",
            "outcome",
            "outcome_detail",
        ]
        read_only_fields = fields


class PaymentFileSerializer(serializers.ModelSerializer):
    entries = PaymentFileEntrySerializer(many=True, read_only=True)

    class Meta:
        model = PaymentFile
        fields = [
            "id",
            "message_id",
            "execution_date",
            "currency",
            "schema",
            "transaction_count",
            "control_sum",
            "status",
            "created",
            "downloaded_at",
            "entries",
        ]
        read_only_fields = fields


STAFF = [permissions.IsAdminUser, StaffOTPVerified]


class PaymentFileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff: the pain.001 credit-transfer files written by the `export_bank_payments` job, each
    with the payouts it holds; `download` returns the XML to hand to the bank."""

    serializer_class = PaymentFileSerializer
    permission_classes = STAFF
    queryset = PaymentFile.objects.prefetch_related("entries__payment__transaction")

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        payment_file = self.get_object()
        PaymentFile.objects.filter(pk=payment_file.pk, downloaded_at__isnull=True).update(downloaded_at=timezone.now())
        PaymentFile.objects.filter(pk=payment_file.pk, status=PaymentFile.Status.READY).update(
            status=PaymentFile.Status.DOWNLOADED
        )
        response = HttpResponse(payment_file.xml.encode("utf-8"), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{payment_file.message_id}.xml"'
        return response


class StatusReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusReport
        fields = ["id", "message_id", "original_message_id", "file", "group_status", "summary", "created"]
        read_only_fields = fields


UPLOAD = inline_serializer("StatusReportUpload", {"file": serializers.FileField()})


class StatusReportViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Staff: upload a pain.002 status report from the bank (multipart field `file`). Rejected
    payouts fail and their holds are released; accepted statuses are noted. A malformed or unknown
    file is a 400 and writes nothing."""

    serializer_class = StatusReportSerializer
    permission_classes = STAFF
    parser_classes = [MultiPartParser]
    queryset = StatusReport.objects.all()

    @extend_schema(request=UPLOAD, responses={201: StatusReportSerializer, 400: OpenApiResponse(description="refused")})
    def create(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        if upload is None:
            raise field_error("file", "Upload the pain.002 file in the field `file`.", code="required")
        if upload.size > MAX_BYTES:
            raise field_error("file", f"The file is larger than {MAX_BYTES} bytes.", code="too_large")
        try:
            report = pain002_import(data=upload.read(), imported_by=request.user)
        except ApplicationError as exc:
            exc.fields = exc.fields or {"file": [exc.message]}
            raise
        return Response(StatusReportSerializer(report).data, status=status.HTTP_201_CREATED)
