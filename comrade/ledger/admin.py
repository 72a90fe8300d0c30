from django.contrib import admin

from comrade.core.admin import ReadOnlyAdmin
from comrade.ledger.models import LedgerAccount, LedgerEntry, PaymentProfile, TransactionStatusChange, TransactionToken


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount", "balance_after", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class StatusInline(EntryInline):
    model = TransactionStatusChange
    fields = ["from_status", "to_status", "reason", "created_at"]
    readonly_fields = fields


@admin.register(TransactionToken)
class TransactionTokenAdmin(ReadOnlyAdmin):
    list_display = ["token", "transaction_type", "status", "amount", "sender", "receiver", "created_at"]
    list_filter = ["status", "transaction_type", "payment_method"]
    search_fields = ["token", "sender__email", "receiver__email"]
    inlines = [StatusInline, EntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount", "balance_after", "created_at"]
    list_filter = ["account__kind"]
    search_fields = ["transaction__token", "account__code"]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "balance", "total_in", "total_out"]
    list_filter = ["kind"]
    search_fields = ["code"]


@admin.register(PaymentProfile)
class PaymentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "balance", "default_payment_method"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "account", "balance", "created_at", "updated_at"]
    fields = ["user", "account", "balance", "payment_methods", "default_payment_method", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Comrade balance")
    def balance(self, obj):
        return obj.account.balance
