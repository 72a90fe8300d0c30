"""Startup checks of the payment settings (`manage.py check`, runserver, migrate, and config.wsgi
for gunicorn), so that a bad setting stops the server instead of failing in the middle of a
payment, after money was already held.

Ids: comrade.E001 SITE_URL, E002 http in production, E003 M-Pesa callback secret, E004 partly
configured provider, E005 provider API base URL, E006 M-Pesa with a non-KES currency, E007 the
M-Pesa payout pair."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TAG = "comrade"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PATH_SAFE_SECRET = re.compile(r"[A-Za-z0-9_-]+")
MIN_CALLBACK_SECRET_LENGTH = 32
INSECURE = "is not https (required when DJANGO_DEBUG is off, except on a loopback host)"
PROVIDER_SETTINGS = {
    "Stripe": ["STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"],
    "PayPal": ["PAYPAL_CLIENT_ID", "PAYPAL_SECRET", "PAYPAL_WEBHOOK_ID"],
    "M-Pesa": [
        "MPESA_CONSUMER_KEY",
        "MPESA_CONSUMER_SECRET",
        "MPESA_SHORTCODE",
        "MPESA_PASSKEY",
        "MPESA_CALLBACK_SECRET",
    ],
}
API_BASES = ["STRIPE_API_BASE", "PAYPAL_API_BASE", "MPESA_API_BASE"]


def _url_problem(url: str, *, origin_only: bool) -> str:
    """Why `url` cannot be used as an absolute http(s) base, or "" when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an absolute http(s) URL"
    if parts.query or parts.fragment:
        return "has a query or fragment"
    if origin_only and parts.path not in ("", "/"):
        return "has a path; give the origin only (scheme://host[:port]), the URL paths are appended to it"
    if not settings.DEBUG and parts.scheme != "https" and parts.hostname not in LOOPBACK:
        return INSECURE
    return ""


def _configured(name: str) -> bool:
    return bool(getattr(settings, name, ""))


@checks.register(TAG)
def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problem = _url_problem(settings.SITE_URL, origin_only=True)
    if not problem:
        return []
    return [
        checks.Error(
            f"SITE_URL {settings.SITE_URL!r} {problem}.",
            hint="Provider callbacks and checkout redirects are built from it.",
            id="comrade.E002" if problem == INSECURE else "comrade.E001",
        )
    ]


@checks.register(TAG)
def check_mpesa_callback_secret(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    secret = settings.MPESA_CALLBACK_SECRET
    if not secret:
        return []
    if not PATH_SAFE_SECRET.fullmatch(secret) or len(secret) < MIN_CALLBACK_SECRET_LENGTH:
        return [
            checks.Error(
                f"MPESA_CALLBACK_SECRET must be at least {MIN_CALLBACK_SECRET_LENGTH} characters of "
                "A-Z, a-z, 0-9, '-' and '_' (it is a segment of the callback URL path).",
                hint="python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="comrade.E003",
            )
        ]
    return []


@checks.register(TAG)
def check_providers_complete(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A provider is enabled only when all its settings are present; one that is half set is
    almost always a deployment mistake that would otherwise show as "Unknown or disabled provider"."""
    errors = []
    for provider, names in PROVIDER_SETTINGS.items():
        missing = [name for name in names if not _configured(name)]
        if missing and len(missing) < len(names):
            errors.append(
                checks.Error(
                    f"{provider} is partly configured: {', '.join(missing)} missing.",
                    hint=f"Set all of {', '.join(names)}, or none.",
                    id="comrade.E004",
                )
            )
    return errors


@checks.register(TAG)
def check_provider_api_bases(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for name in API_BASES:
        problem = _url_problem(getattr(settings, name), origin_only=False)
        if problem:
            errors.append(checks.Error(f"{name} {getattr(settings, name)!r} {problem}.", id="comrade.E005"))
    return errors


@checks.register(TAG)
def check_mpesa_currency_and_payouts(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    if all(_configured(name) for name in PROVIDER_SETTINGS["M-Pesa"]) and settings.DEFAULT_CURRENCY != "KES":
        errors.append(
            checks.Error(
                f"M-Pesa is configured but DEFAULT_CURRENCY is {settings.DEFAULT_CURRENCY}: it moves KES only "
                "and would stay disabled.",
                id="comrade.E006",
            )
        )
    if _configured("MPESA_INITIATOR_NAME") != _configured("MPESA_SECURITY_CREDENTIAL"):
        errors.append(
            checks.Error(
                "MPESA_INITIATOR_NAME and MPESA_SECURITY_CREDENTIAL are needed together (M-Pesa payouts).",
                id="comrade.E007",
            )
        )
    return errors


def refuse_to_serve_on_errors() -> None:
    """For config.wsgi: gunicorn runs no system checks, so run ours and refuse to boot."""
    errors = [message for message in checks.run_checks(tags=[TAG]) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(f"{error.id}: {error.msg}" for error in errors))
