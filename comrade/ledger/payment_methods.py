"""Saved payment methods on a PaymentProfile: provider tokens only, never card numbers."""

import re
import secrets

from django.db import transaction

from comrade.core.errors import ApplicationError, field_error
from comrade.ledger.models import PaymentProfile

CARD_NUMBER = re.compile(r"(?:\d[ -]?){12,19}")
PHONE = re.compile(r"^\+?\d{9,15}$")


def _looks_like_card_number(value: str) -> bool:
    digits = re.sub(r"[ -]", "", value)
    if not (CARD_NUMBER.fullmatch(value) and 12 <= len(digits) <= 19):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char) * (2 if index % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _validate_token(provider: str, token: str) -> None:
    if provider == "mpesa":
        if not PHONE.fullmatch(token):
            raise field_error("token", "An M-Pesa method is a phone number like 254712345678.")
        return
    if _looks_like_card_number(token):
        raise field_error(
            "token", "Never send a card number: save the provider's token (e.g. pm_...).", code="card_number_refused"
        )


@transaction.atomic
def payment_method_add(*, profile: PaymentProfile, provider: str, token: str, label: str = "") -> dict:
    from comrade.gateways.registry import enabled_names

    if provider not in enabled_names():
        raise field_error("provider", f"Unknown or disabled provider: {provider}.", code="unknown_provider")
    _validate_token(provider, token)
    profile = PaymentProfile.objects.select_for_update().get(pk=profile.pk)
    if any(m["provider"] == provider and m["token"] == token for m in profile.payment_methods):
        raise field_error("token", "This payment method is already saved.", code="duplicate_payment_method")
    method = {"id": f"pm_{secrets.token_hex(8)}", "provider": provider, "token": token, "label": label[:64]}
    profile.payment_methods = [*profile.payment_methods, method]
    if not profile.default_payment_method:
        profile.default_payment_method = method["id"]
    profile.save(update_fields=["payment_methods", "default_payment_method", "updated_at"])
    return method


@transaction.atomic
def payment_method_remove(*, profile: PaymentProfile, method_id: str) -> None:
    profile = PaymentProfile.objects.select_for_update().get(pk=profile.pk)
    remaining = [m for m in profile.payment_methods if m["id"] != method_id]
    if len(remaining) == len(profile.payment_methods):
        raise ApplicationError("not_found", "No saved payment method with this id.", status_code=404)
    profile.payment_methods = remaining
    if profile.default_payment_method == method_id:
        profile.default_payment_method = remaining[0]["id"] if remaining else ""
    profile.save(update_fields=["payment_methods", "default_payment_method", "updated_at"])


@transaction.atomic
def payment_method_set_default(*, profile: PaymentProfile, method_id: str) -> PaymentProfile:
    profile = PaymentProfile.objects.select_for_update().get(pk=profile.pk)
    if not any(m["id"] == method_id for m in profile.payment_methods):
        raise field_error("method_id", "No saved payment method with this id.", code="unknown_payment_method")
    profile.default_payment_method = method_id
    profile.save(update_fields=["default_payment_method", "updated_at"])
    return profile


def saved_destination(profile: PaymentProfile, provider: str) -> str:
    """The token to pay out to: the default method if it is this provider's, else the first one."""
    methods = [m for m in profile.payment_methods if m["provider"] == provider]
    default = next((m for m in methods if m["id"] == profile.default_payment_method), None)
    chosen = default or (methods[0] if methods else None)
    return chosen["token"] if chosen else ""
