from rest_framework.routers import SimpleRouter

from comrade.transfers.api import TransactionViewSet

router = SimpleRouter()
router.register("transactions", TransactionViewSet, basename="transaction")
urlpatterns = router.urls
