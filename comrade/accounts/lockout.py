"""How django-axes names a login attempt and answers a locked-out client.

The admin and /api-auth/login/ forms send the email as `username`; the JWT endpoint sends it as
`email`. Both count against one lower-cased address, so switching entry point or letter case does
not buy an attacker fresh attempts."""

from django.conf import settings
from django.http import JsonResponse

from comrade.core.errors import error_body

LOCKED_OUT = "locked_out"


def login_username(request, credentials: dict | None) -> str | None:
    source = credentials or getattr(request, "data", None) or request.POST
    value = source.get("email") or source.get("username")
    return str(value).strip().lower() if value else None


def client_address(request) -> str | None:
    """X-Forwarded-For is read from the right: each of our LOGIN_PROXY_COUNT proxies appended the
    address it saw, so the entry that many places from the end is the client as the outermost proxy
    saw it. Entries further left were written by the client and are ignored."""
    hops = settings.LOGIN_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"Too many failed logins. Try again in {minutes} minutes or reset your password."


def lockout_response(request, original_response=None, credentials=None) -> JsonResponse:
    """Every entry point answers a lockout in the API's JSON error shape with 429."""
    return JsonResponse(error_body(LOCKED_OUT, lockout_message()), status=settings.AXES_HTTP_RESPONSE_CODE)


def is_locked_out(request) -> bool:
    """Axes flags the request it was given; for DRF that is the DRF request, which the Django
    middleware never sees, so API views ask here and answer the lockout themselves."""
    return bool(getattr(request, "axes_locked_out", False))
