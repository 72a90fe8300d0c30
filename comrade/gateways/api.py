from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from comrade.core.errors import ApplicationError
from comrade.gateways import sandbox
from comrade.gateways.models import ExternalPayment
from comrade.gateways.registry import enabled_providers
from comrade.gateways.selectors import open_payments
from comrade.gateways.serializers import OpenPaymentSerializer
from comrade.gateways.services import payment_refresh
from comrade.gateways.webhooks import webhook_receive


class ProviderSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    supports = serializers.ListField(child=serializers.CharField())


class ProvidersView(APIView):
    """The external payment providers enabled on this deployment."""

    @extend_schema(responses=ProviderSerializer(many=True))
    def get(self, request):
        return Response(ProviderSerializer(enabled_providers(), many=True).data)


WEBHOOK_ACK = inline_serializer("WebhookAck", {"verdict": serializers.CharField(), "reason": serializers.CharField()})


class WebhookThrottle(AnonRateThrottle):
    """Per source address, so that one sender cannot crowd out the providers."""

    scope = "webhook"

    def get_rate(self) -> str:
        return settings.WEBHOOK_THROTTLE_RATE


class WebhookView(APIView):
    """Provider webhooks: no user authentication, a valid provider signature instead. A body
    larger than WEBHOOK_MAX_BODY_BYTES is refused (413) before it is read."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [WebhookThrottle]

    @extend_schema(request=None, responses=WEBHOOK_ACK)
    def post(self, request, provider: str, secret: str = ""):
        if _declared_length(request) > settings.WEBHOOK_MAX_BODY_BYTES or (
            len(request.body) > settings.WEBHOOK_MAX_BODY_BYTES
        ):
            raise ApplicationError("payload_too_large", "The webhook body is too large.", status_code=413)
        outcome = webhook_receive(
            provider=provider, headers=dict(request.headers), body=request.body, path_secret=secret
        )
        return Response({"verdict": outcome.verdict, "reason": outcome.reason}, status=outcome.status_code)


class OpenPaymentsView(ListAPIView):
    """Staff: every payment, payout and refund still open at its provider, oldest first, with the
    provider's last answer. `?flagged=true` keeps those open longer than RECONCILE_FLAG_AFTER_MINUTES."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = OpenPaymentSerializer
    filter_backends: list = []

    @extend_schema(parameters=[OpenApiParameter("flagged", bool, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        flagged = self.request.query_params.get("flagged", "").lower() in ("1", "true", "yes")
        return open_payments(now=timezone.now(), flagged_only=flagged)


class SecretPathWebhookView(WebhookView):
    """The same endpoint for providers that authenticate by a secret path segment (Daraja)."""

    @extend_schema(operation_id="payments_webhooks_secret_create", request=None, responses=WEBHOOK_ACK)
    def post(self, request, provider: str, secret: str = ""):
        return super().post(request, provider, secret)


def _declared_length(request) -> int:
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if value.isascii() and value.isdigit() else 0


def payment_return(request, provider: str):
    """Where a provider's checkout sends the customer back: check the payment's status there."""
    payment = get_object_or_404(
        ExternalPayment.objects.select_related("transaction"),
        provider=provider,
        transaction__token=request.GET.get("reference", ""),
    )
    txn = payment_refresh(payment.transaction)
    return render(request, "gateways/result.html", {"txn": txn})


def _return_to(request) -> str:
    """`?return=` names a page of this site to send the customer back to after deciding (the
    web app's receipt); anything else (another host, a scheme) is ignored."""
    url = request.GET.get("return", "")
    local = url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    return url if local else ""


@csrf_protect
def sandbox_checkout(request, reference: str):
    """The sandbox provider's hosted checkout page: Approve or Decline, then back to `?return=`
    when it names one of our pages."""
    payment = get_object_or_404(
        ExternalPayment.objects.select_related("transaction"), provider="sandbox", provider_reference=reference
    )
    back = _return_to(request)
    if request.method == "POST":
        txn = sandbox.decide(payment=payment, approve=request.POST.get("decision") == "approve")
        if back:
            return redirect(back, permanent=False)
        return render(request, "gateways/result.html", {"txn": txn})
    return render(request, "gateways/checkout.html", {"payment": payment, "txn": payment.transaction, "back": back})
