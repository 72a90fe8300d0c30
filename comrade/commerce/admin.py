from django.contrib import admin

from comrade.commerce.models import PaymentItem, Product, Purchase, UserSubscription
from comrade.core.admin import ReadOnlyAdmin


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "price", "is_available", "updated_at"]
    list_filter = ["is_available", "category"]
    search_fields = ["name", "category"]


@admin.register(PaymentItem)
class PaymentItemAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "currency", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    """Purchases are written only with their payment, by the commerce services."""

    list_display = ["id", "buyer", "product", "payment_item", "quantity", "total", "created_at"]
    search_fields = ["buyer__email", "product__name", "transaction__token"]
    list_select_related = ["buyer", "product", "payment_item"]


@admin.register(UserSubscription)
class UserSubscriptionAdmin(ReadOnlyAdmin):
    """Subscriptions change only through the subscription services (they move money)."""

    list_display = ["user", "subscription_type", "status", "start_date", "end_date", "auto_renew", "grace_until"]
    list_filter = ["status", "subscription_type", "auto_renew"]
    search_fields = ["user__email"]
