from comrade.core.routers import Router
from comrade.groups.api import InvitationViewSet, PaymentGroupViewSet, TargetViewSet

router = Router()
router.register("payment-groups", PaymentGroupViewSet, basename="payment-group")
router.register("invitations", InvitationViewSet, basename="group-invitation")
router.register("targets", TargetViewSet, basename="group-target")
urlpatterns = router.urls
