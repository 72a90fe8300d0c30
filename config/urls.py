from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from comrade.core.health import HealthView
from comrade.core.metrics import metrics_view

REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]

# Staff two-factor: the admin asks for a one-time password as well as the password.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("api/auth/", include("comrade.accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and Redoc from drf-spectacular-sidecar, under the CSP: the split view loads its
    # init script from a URL (?script) instead of inline; the templates drop the inline styles and
    # Redoc's Google Fonts. Redoc inserts <style> elements (styled-components), so its page alone
    # allows styles with its per-response nonce, plus the hashes of the two style elements its
    # bundle inserts before it reads the nonce (the empty one and its scrollbar CSS); still no
    # 'unsafe-inline'. A new sidecar version with other CSS fails the browser test, which names the
    # hash to put here.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="web/docs/swagger_ui.html"),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        csp_update({"style-src": [NONCE, *REDOC_STYLE_HASHES]})(
            SpectacularRedocView.as_view(url_name="schema", template_name="web/docs/redoc.html")
        ),
        name="redoc",
    ),
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
