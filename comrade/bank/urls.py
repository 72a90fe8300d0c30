from comrade.bank.api import BankExceptionViewSet, BankStatementViewSet
from comrade.core.routers import Router

router = Router()
router.register("bank/statements", BankStatementViewSet, basename="bank-statement")
router.register("bank/exceptions", BankExceptionViewSet, basename="bank-exception")
urlpatterns = router.urls
