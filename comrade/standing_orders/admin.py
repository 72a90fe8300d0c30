from django.contrib import admin

from comrade.standing_orders.models import StandingOrder, StandingOrderExecution


class ReadOnlyAdmin(admin.ModelAdmin):
    """Orders change only through the services (the API), which keep the schedule consistent."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StandingOrder)
class StandingOrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "recipient", "amount", "frequency", "status", "next_execution", "last_executed"]
    list_filter = ["status", "frequency"]
    search_fields = ["user__email", "recipient__email", "description"]


@admin.register(StandingOrderExecution)
class StandingOrderExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "scheduled_for", "status", "attempts", "executed_at", "transaction"]
    list_filter = ["status"]
