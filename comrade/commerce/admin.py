from django.contrib import admin

from comrade.commerce.models import PaymentItem, Product, Purchase, UserSubscription
from comrade.commerce.selectors import external_purchases_in_flight
from comrade.core.admin import ReadOnlyAdmin


class CatalogueAdmin(admin.ModelAdmin):
    """Deleting follows the catalogue service's rule: not once bought, nor while a payment for it
    is in flight (the bulk delete action, which would skip the check, is removed)."""

    target_field = ""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.purchases.exists() or external_purchases_in_flight(**{self.target_field: obj.pk})):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Product)
class ProductAdmin(CatalogueAdmin):
    target_field = "product_id"
    list_display = ["name", "category", "price", "is_available", "updated_at"]
    list_filter = ["is_available", "category"]
    search_fields = ["name", "category"]


@admin.register(PaymentItem)
class PaymentItemAdmin(CatalogueAdmin):
    target_field = "payment_item_id"
    readonly_fields = ["currency"]  # always the deployment's (set on creation)
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
