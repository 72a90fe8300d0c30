"""Refusals made while the settings are read, so that no process (runserver, gunicorn, a Celery
worker, a management command) can start in production with a setting that gives money away.
Development mode (DJANGO_DEBUG=true) must be asked for; everything else is production."""

from django.core.exceptions import ImproperlyConfigured

DEV_SECRET_KEY = "insecure-dev-key-change-me-in-production-0123456789"
DEV_SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret-for-local-use-only"
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5
MIN_SANDBOX_SECRET_LENGTH = 32


def require_production_secret_key(key: str) -> None:
    """The same bar as Django's security.W009, but as an error: a guessable key lets anyone sign
    sessions and password-reset links."""
    if not key:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    if key == DEV_SECRET_KEY or key.startswith("django-insecure-"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is the published development key; generate your own.")
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters "
            f"(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )


def require_deliberate_sandbox(*, webhook_secret: str, real_providers: list[str]) -> None:
    """The sandbox credits wallets with money nobody paid. Outside development it may run only
    on purpose (SANDBOX_PAYMENTS_ENABLED=true), with a webhook secret of its own (the published
    default lets anyone forge a deposit), and never beside a real provider (sandbox money could
    then be withdrawn as real money)."""
    if not webhook_secret or webhook_secret == DEV_SANDBOX_WEBHOOK_SECRET:
        raise ImproperlyConfigured(
            "SANDBOX_PAYMENTS_ENABLED is on with the published SANDBOX_WEBHOOK_SECRET: anyone could forge "
            "sandbox deposits. Turn the sandbox off, or set a SANDBOX_WEBHOOK_SECRET of your own."
        )
    if len(webhook_secret) < MIN_SANDBOX_SECRET_LENGTH:
        raise ImproperlyConfigured(f"SANDBOX_WEBHOOK_SECRET must be at least {MIN_SANDBOX_SECRET_LENGTH} characters.")
    if real_providers:
        raise ImproperlyConfigured(
            f"SANDBOX_PAYMENTS_ENABLED is on beside a real provider ({', '.join(real_providers)}): sandbox "
            "deposits are not real money and could be withdrawn as real money. Turn the sandbox off."
        )
