from rest_framework.routers import SimpleRouter

from comrade.ledger.api import PaymentProfileViewSet

router = SimpleRouter()
router.register("payment-profiles", PaymentProfileViewSet, basename="payment-profile")
urlpatterns = router.urls
