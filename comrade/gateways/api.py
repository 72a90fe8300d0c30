from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from comrade.gateways import sandbox
from comrade.gateways.models import ExternalPayment
from comrade.gateways.registry import enabled_providers
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


class WebhookView(APIView):
    """Provider webhooks: no user authentication, a valid provider signature instead."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "WebhookAck", {"verdict": serializers.CharField(), "reason": serializers.CharField()}
        ),
    )
    def post(self, request, provider: str, secret: str = ""):
        outcome = webhook_receive(
            provider=provider, headers=dict(request.headers), body=request.body, path_secret=secret
        )
        return Response({"verdict": outcome.verdict, "reason": outcome.reason}, status=outcome.status_code)


def payment_return(request, provider: str):
    """Where a provider's checkout sends the customer back: check the payment's status there."""
    payment = get_object_or_404(
        ExternalPayment.objects.select_related("transaction"),
        provider=provider,
        transaction__token=request.GET.get("reference", ""),
    )
    txn = payment_refresh(payment.transaction)
    return render(request, "gateways/result.html", {"txn": txn})


@csrf_protect
def sandbox_checkout(request, reference: str):
    """The sandbox provider's hosted checkout page: Approve or Decline."""
    payment = get_object_or_404(
        ExternalPayment.objects.select_related("transaction"), provider="sandbox", provider_reference=reference
    )
    if request.method == "POST":
        txn = sandbox.decide(payment=payment, approve=request.POST.get("decision") == "approve")
        return render(request, "gateways/result.html", {"txn": txn})
    return render(request, "gateways/checkout.html", {"payment": payment, "txn": payment.transaction})
