from comrade.core.routers import Router
from comrade.standing_orders.api import StandingOrderViewSet

router = Router()
router.register("standing-orders", StandingOrderViewSet, basename="standing-order")
urlpatterns = router.urls
