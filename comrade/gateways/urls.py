from django.urls import path

from comrade.gateways import api

urlpatterns = [
    path("providers/", api.ProvidersView.as_view(), name="providers"),
    path("reconciliation/", api.OpenPaymentsView.as_view(), name="reconciliation"),
    path("webhooks/<slug:provider>/", api.WebhookView.as_view(), name="webhook"),
    path("webhooks/<slug:provider>/<str:secret>/", api.SecretPathWebhookView.as_view(), name="webhook-secret"),
    path("gateways/<slug:provider>/return/", api.payment_return, name="gateway-return"),
    path("sandbox/checkout/<str:reference>/", api.sandbox_checkout, name="sandbox-checkout"),
]
