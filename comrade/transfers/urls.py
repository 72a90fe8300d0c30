from comrade.core.routers import Router
from comrade.transfers.api import TransactionViewSet

router = Router()
router.register("transactions", TransactionViewSet, basename="transaction")
urlpatterns = router.urls
