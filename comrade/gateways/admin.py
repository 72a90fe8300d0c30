from django.contrib import admin
from django.utils import timezone

from comrade.core.admin import ReadOnlyAdmin
from comrade.gateways.models import ExternalPayment, ReconciliationCheck, WebhookEvent
from comrade.gateways.selectors import flagged_q


class OpenFilter(admin.SimpleListFilter):
    title = "reconciliation"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("open", "open at the provider"), ("flagged", "open too long (flagged)"), ("resolved", "resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "flagged":
            return queryset.filter(flagged_q(timezone.now()), resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class CheckInline(admin.TabularInline):
    model = ReconciliationCheck
    fields = ["checked_at", "provider_status", "outcome", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExternalPayment)
class ExternalPaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "transaction",
        "provider",
        "direction",
        "provider_status",
        "created_at",
        "check_count",
        "resolved_at",
    ]
    list_filter = [OpenFilter, "provider", "direction"]
    search_fields = ["transaction__token", "provider_reference"]
    inlines = [CheckInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["provider", "event_id", "verdict", "reason", "received_at"]
    list_filter = ["verdict", "provider", "verified"]
    search_fields = ["event_id", "provider_reference"]
    exclude = ["raw_body"]
