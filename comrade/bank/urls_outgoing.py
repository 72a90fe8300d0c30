from comrade.bank.api_outgoing import BankAccountViewSet, PaymentFileViewSet, StatusReportViewSet
from comrade.core.routers import Router

router = Router()
router.register("bank-accounts", BankAccountViewSet, basename="bank-account")
router.register("bank/payment-files", PaymentFileViewSet, basename="bank-payment-file")
router.register("bank/status-reports", StatusReportViewSet, basename="bank-status-report")
urlpatterns = router.urls
