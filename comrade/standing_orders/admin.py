from django.contrib import admin

from comrade.core.admin import ReadOnlyAdmin
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution


@admin.register(StandingOrder)
class StandingOrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "recipient", "amount", "frequency", "status", "next_execution", "last_executed"]
    list_filter = ["status", "frequency"]
    search_fields = ["user__email", "recipient__email", "description"]


@admin.register(StandingOrderExecution)
class StandingOrderExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "scheduled_for", "status", "attempts", "executed_at", "transaction"]
    list_filter = ["status"]
