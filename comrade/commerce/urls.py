from comrade.commerce.api import PaymentItemViewSet, ProductViewSet, PurchaseViewSet, SubscriptionViewSet
from comrade.core.routers import Router

router = Router()
router.register("products", ProductViewSet, basename="product")
router.register("purchases", PurchaseViewSet, basename="purchase")
router.register("payment-items", PaymentItemViewSet, basename="payment-item")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
urlpatterns = router.urls
