from rest_framework.routers import SimpleRouter

from comrade.groups.api import InvitationViewSet, PaymentGroupViewSet, TargetViewSet

router = SimpleRouter()
router.register("payment-groups", PaymentGroupViewSet, basename="payment-group")
router.register("invitations", InvitationViewSet, basename="group-invitation")
router.register("targets", TargetViewSet, basename="group-target")
urlpatterns = router.urls
