from rest_framework.routers import SimpleRouter

from comrade.standing_orders.api import StandingOrderViewSet

router = SimpleRouter()
router.register("standing-orders", StandingOrderViewSet, basename="standing-order")
urlpatterns = router.urls
