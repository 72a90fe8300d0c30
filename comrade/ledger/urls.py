from comrade.core.routers import Router
from comrade.ledger.api import PaymentProfileViewSet

router = Router()
router.register("payment-profiles", PaymentProfileViewSet, basename="payment-profile")
urlpatterns = router.urls
