from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from comrade.core.health import HealthView
from comrade.core.metrics import metrics_view

# Staff two-factor: the admin asks for a one-time password as well as the password.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("api/auth/", include("comrade.accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("payments/", include("comrade.ledger.urls")),
    path("payments/", include("comrade.transfers.urls")),
    path("payments/", include("comrade.gateways.urls")),
    path("payments/", include("comrade.groups.urls")),
    path("payments/", include("comrade.standing_orders.urls")),
    path("payments/", include("comrade.commerce.urls")),
    path("payments/", include("comrade.bank.urls")),
    path("payments/", include("comrade.bank.urls_outgoing")),
    path("", include("comrade.web.urls")),
]
