from rest_framework.routers import SimpleRouter

from comrade.commerce.api import PaymentItemViewSet, ProductViewSet, PurchaseViewSet, SubscriptionViewSet

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("purchases", PurchaseViewSet, basename="purchase")
router.register("payment-items", PaymentItemViewSet, basename="payment-item")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
urlpatterns = router.urls
