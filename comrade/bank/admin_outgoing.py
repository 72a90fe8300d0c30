"""Admin for the outgoing side: saved bank accounts, payment files (with a download link and the
payouts each holds) and imported pain.002 status reports. Read-only: they change only through
the services. The admin site itself requires a one-time password (OTPAdminSite, config/urls.py)."""

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from comrade.bank.models import BankAccount, PaymentFile, PaymentFileEntry, StatusReport
from comrade.core.admin import ReadOnlyAdmin


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "holder_name", "iban", "bic", "created"]
    search_fields = ["iban", "holder_name", "user__username", "user__email"]


class EntryInline(admin.TabularInline):
    model = PaymentFileEntry
    fields = ["end_to_end_id", "payment", "amount", "creditor_name", "creditor_iban", "outcome", "outcome_detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaymentFile)
class PaymentFileAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "execution_date", "currency", "transaction_count", "control_sum", "status", "created"]
    list_filter = ["status", "execution_date", "entries__outcome"]  # outcome REVIEW: answers for a person
    readonly_fields = ["download_link"]
    exclude = ["xml"]
    inlines = [EntryInline]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="pain.001 file")
    def download_link(self, obj):
        url = reverse("admin:bank_paymentfile_download", args=[obj.pk])
        return format_html('<a href="{}">Download {}.xml</a>', url, obj.message_id)

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="bank_paymentfile_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        payment_file = get_object_or_404(PaymentFile, pk=pk)
        PaymentFile.objects.filter(pk=pk, downloaded_at__isnull=True).update(downloaded_at=timezone.now())
        PaymentFile.objects.filter(pk=pk, status=PaymentFile.Status.READY).update(status=PaymentFile.Status.DOWNLOADED)
        response = HttpResponse(payment_file.xml.encode("utf-8"), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{payment_file.message_id}.xml"'
        return response


@admin.register(StatusReport)
class StatusReportAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "original_message_id", "group_status", "imported_by", "created"]
