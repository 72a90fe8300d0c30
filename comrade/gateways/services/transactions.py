"""`create_transaction` with payment_method EXTERNAL: a deposit into the wallet or a withdrawal
from it. Purchases and contributions start from their own endpoints."""

from decimal import Decimal

from comrade.core.errors import field_error
from comrade.gateways.services.common import Type
from comrade.gateways.services.payments import external_payment_start
from comrade.gateways.services.payouts import withdrawal_start
from comrade.ledger.models import TransactionToken


def external_transaction_create(
    *, user, transaction_type: str, amount: Decimal, provider: str, description: str = "", metadata: dict | None = None
) -> TransactionToken:
    from comrade.ledger.payment_methods import saved_destination
    from comrade.ledger.selectors import profile_for

    metadata = metadata or {}
    if not provider:
        raise field_error(
            "external_payment_provider", "Choose a provider for an EXTERNAL transaction.", code="required"
        )
    profile = profile_for(user)
    if provider == "bank":
        return _bank_transaction_create(
            user=user, transaction_type=transaction_type, amount=amount, description=description, metadata=metadata
        )
    if transaction_type == Type.DEPOSIT:
        phone = str(
            metadata.get("phone_number") or (saved_destination(profile, provider) if provider == "mpesa" else "")
        )
        return external_payment_start(
            user=user,
            amount=amount,
            provider=provider,
            transaction_type=Type.DEPOSIT,
            credit_account_id=profile.account_id,
            description=description or "Top up",
            metadata=metadata,
            phone_number=phone,
        )
    if transaction_type == Type.WITHDRAWAL:
        destination = str(metadata.get("destination") or saved_destination(profile, provider))
        return withdrawal_start(
            user=user, amount=amount, provider=provider, destination=destination, description=description
        )
    raise field_error(
        "transaction_type",
        "EXTERNAL transactions created here are DEPOSITs or WITHDRAWALs.",
        code="unsupported_transaction_type",
    )


def _bank_transaction_create(*, user, transaction_type: str, amount: Decimal, description: str, metadata: dict):
    """A withdrawal to one of the user's saved bank accounts (comrade.bank). Bank deposits are
    transfers that the imported statements credit, so none is started here."""
    from comrade.bank.services.accounts import withdrawal_destination
    from comrade.gateways.registry import gateway_for

    gateway_for("bank")  # a disabled provider is a 400 before anything else
    if transaction_type != Type.WITHDRAWAL:
        raise field_error(
            "transaction_type",
            "Pay in by bank transfer to the platform's account, quoting your wallet's payment reference "
            "(GET /payments/payment-profiles/bank_details/); only WITHDRAWALs are started here.",
            code="unsupported_transaction_type",
        )
    destination, extra = withdrawal_destination(user=user, metadata=metadata)
    return withdrawal_start(
        user=user,
        amount=amount,
        provider="bank",
        destination=destination,
        description=description or "Withdrawal to bank account",
        metadata=extra,
    )
