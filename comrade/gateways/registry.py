"""Which providers are enabled, built from settings at call time. A provider is enabled only
when its settings are present; the sandbox is on by default in development (DEBUG) and off in
production unless SANDBOX_PAYMENTS_ENABLED is set on purpose."""

from functools import lru_cache

from django.conf import settings
from django.urls import reverse

from comrade.core.errors import field_error
from comrade.gateways.providers.base import Gateway

SUPPORTS = {
    "sandbox": ["deposit", "withdrawal", "refund"],
    "stripe": ["deposit", "withdrawal", "refund"],
    "paypal": ["deposit", "withdrawal", "refund"],
    "mpesa": ["deposit", "withdrawal"],
    "bank": ["withdrawal"],  # deposits arrive as transfers matched from imported statements
}

# Providers that answer only by files (statements, status reports) and can never be asked about a
# payment: reconciliation leaves their open payments alone and flags them by their own rule.
ANSWERED_BY_FILES = frozenset({"bank"})


def _configs() -> dict[str, object]:
    from comrade.gateways.providers.bank import BankConfig
    from comrade.gateways.providers.mpesa import MpesaConfig
    from comrade.gateways.providers.paypal import PayPalConfig
    from comrade.gateways.providers.sandbox import SandboxConfig
    from comrade.gateways.providers.stripe import StripeConfig

    s = settings
    timeout = s.PROVIDER_TIMEOUT_SECONDS
    configs: dict[str, object] = {}
    if s.SANDBOX_PAYMENTS_ENABLED and s.SANDBOX_WEBHOOK_SECRET:
        from comrade.gateways.sandbox import STORE

        checkout = f"{s.SITE_URL}{reverse('sandbox-checkout', args=['x'])[:-2]}"
        configs["sandbox"] = SandboxConfig(
            webhook_secret=s.SANDBOX_WEBHOOK_SECRET, checkout_base_url=checkout, store=STORE
        )
    if s.STRIPE_API_KEY and s.STRIPE_WEBHOOK_SECRET:
        configs["stripe"] = StripeConfig(
            api_key=s.STRIPE_API_KEY,
            webhook_secret=s.STRIPE_WEBHOOK_SECRET,
            base_url=s.STRIPE_API_BASE,
            timeout=timeout,
            confirmation_url=getattr(s, "STRIPE_CONFIRMATION_URL", ""),
        )
    if s.PAYPAL_CLIENT_ID and s.PAYPAL_SECRET and s.PAYPAL_WEBHOOK_ID:
        configs["paypal"] = PayPalConfig(
            client_id=s.PAYPAL_CLIENT_ID,
            client_secret=s.PAYPAL_SECRET,
            webhook_id=s.PAYPAL_WEBHOOK_ID,
            base_url=s.PAYPAL_API_BASE,
            timeout=timeout,
        )
    if (
        s.MPESA_CONSUMER_KEY
        and s.MPESA_CONSUMER_SECRET
        and s.MPESA_SHORTCODE
        and s.MPESA_PASSKEY
        and s.MPESA_CALLBACK_SECRET
        and s.DEFAULT_CURRENCY == "KES"  # Daraja moves KES only; we do no currency conversion
    ):
        configs["mpesa"] = MpesaConfig(
            consumer_key=s.MPESA_CONSUMER_KEY,
            consumer_secret=s.MPESA_CONSUMER_SECRET,
            shortcode=s.MPESA_SHORTCODE,
            passkey=s.MPESA_PASSKEY,
            callback_secret=s.MPESA_CALLBACK_SECRET,
            initiator_name=s.MPESA_INITIATOR_NAME,
            security_credential=s.MPESA_SECURITY_CREDENTIAL,
            base_url=s.MPESA_API_BASE,
            timeout=timeout,
            result_url=f"{s.SITE_URL}/payments/webhooks/mpesa/{s.MPESA_CALLBACK_SECRET}/",
        )
    if s.BANK_ACCOUNT_IBAN and s.BANK_ACCOUNT_BIC and s.BANK_ACCOUNT_NAME:
        configs["bank"] = BankConfig(iban=s.BANK_ACCOUNT_IBAN, bic=s.BANK_ACCOUNT_BIC, name=s.BANK_ACCOUNT_NAME)
    return configs


def _classes() -> dict[str, type[Gateway]]:
    from comrade.gateways.providers.bank import BankGateway
    from comrade.gateways.providers.mpesa import MpesaGateway
    from comrade.gateways.providers.paypal import PayPalGateway
    from comrade.gateways.providers.sandbox import SandboxGateway
    from comrade.gateways.providers.stripe import StripeGateway

    return {
        "sandbox": SandboxGateway,
        "stripe": StripeGateway,
        "paypal": PayPalGateway,
        "mpesa": MpesaGateway,
        "bank": BankGateway,
    }


@lru_cache(maxsize=32)
def _build(name: str, config) -> Gateway:
    """One adapter per configuration, so a provider's OAuth token cache is shared by requests."""
    return _classes()[name](config)


def display_name(name: str) -> str:
    """A provider's name for people, also for one no longer enabled (old rows keep their name)."""
    gateway = _classes().get(name)
    return gateway.display_name if gateway else name


def enabled_names() -> list[str]:
    return list(_configs())


def enabled_providers() -> list[dict]:
    return [
        {"name": name, "display_name": gateway_for(name).display_name, "supports": SUPPORTS[name]}
        for name in _configs()
    ]


def gateway_for(name: str, *, field: str = "external_payment_provider") -> Gateway:
    config = _configs().get(name)
    if config is None:
        raise field_error(field, f"Unknown or disabled provider: {name}.", code="unknown_provider")
    return _build(name, config)
