"""External payment flows on top of the ledger.

Money comes IN (deposit, external purchase or contribution) as: PENDING -> the customer approves
at the provider -> AUTHORIZED -> a verified webhook -> VERIFIED (clearing -> destination posted)
-> COMPLETED. Money goes OUT (withdrawal, refund) as: the amount is held (source -> holding,
AUTHORIZED) before the provider is called, then released back (FAILED) or sent on (holding ->
clearing, COMPLETED). No database row lock is held while a provider is called over the network:
each step is its own short atomic block, and a step that finds the transaction already moved on
does nothing, so webhooks that arrive twice, late or out of order change nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse

from comrade.core import settlement
from comrade.core.errors import ApplicationError, field_error
from comrade.gateways.models import ExternalPayment
from comrade.gateways.providers.base import Gateway, GatewayError, PaymentRequest, PaymentStatus, PayoutRequest
from comrade.gateways.registry import gateway_for
from comrade.ledger.models import LedgerAccount, TransactionStatus, TransactionToken, default_currency
from comrade.ledger.services import InsufficientFunds, Leg, post, system_account, transaction_open, transition

logger = logging.getLogger(__name__)
Status = TransactionStatus
Type = TransactionToken.Type
REFUNDABLE_TYPES = (Type.DEPOSIT, Type.PURCHASE)


def clearing_account(provider: str) -> LedgerAccount:
    return system_account(LedgerAccount.Kind.CLEARING, provider)


def holding_account() -> LedgerAccount:
    return system_account(LedgerAccount.Kind.HOLDING, allow_negative=False)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _locked(txn: TransactionToken) -> TransactionToken:
    return TransactionToken.objects.select_for_update().get(pk=txn.pk)


# --- money in -------------------------------------------------------------------------------


def external_payment_start(
    *,
    user,
    amount: Decimal,
    provider: str,
    transaction_type: str,
    credit_account_id: int,
    description: str = "",
    metadata: dict | None = None,
    receiver=None,
    phone_number: str = "",
    guard: Callable[[], None] | None = None,
) -> TransactionToken:
    """Open a PENDING transaction and ask the provider for a payment the customer can approve.
    `guard` runs in the transaction that opens it, before the provider is called: it may lock the
    payer's rows and raise to refuse (a purchase quota), and nothing is written then."""
    gateway = gateway_for(provider)
    _check_amount(gateway, amount)
    with transaction.atomic():
        if guard is not None:
            guard()
        txn = transaction_open(
            sender=user,
            receiver=receiver or user,
            amount=amount,
            payment_method=TransactionToken.PaymentMethod.EXTERNAL,
            external_payment_provider=provider,
            transaction_type=transaction_type,
            description=description,
            metadata=metadata or {},
        )
        payment = ExternalPayment.objects.create(
            transaction=txn, provider=provider, direction=ExternalPayment.Direction.IN, account_id=credit_account_id
        )
    request = PaymentRequest(
        reference=txn.token,
        amount=amount,
        currency=txn.currency,
        description=description or transaction_type.title(),
        idempotency_key=txn.token,
        phone_number=phone_number,
        return_url=_absolute(reverse("gateway-return", args=[provider])) + f"?reference={txn.token}",
        callback_url=callback_url(provider),
    )
    try:
        session = gateway.create_payment(request)
    except GatewayError as exc:
        return _provider_refused(txn, exc)
    payment.provider_reference = session.provider_reference
    payment.redirect_url = session.redirect_url
    payment.save(update_fields=["provider_reference", "redirect_url"])
    return txn


def _check_amount(gateway: Gateway, amount: Decimal) -> None:
    """An amount the provider cannot move exactly (KES with cents for M-Pesa) is refused with a 400
    before anything is written, rather than opened and failed."""
    try:
        gateway.check_amount(amount, default_currency())
    except GatewayError as exc:
        raise field_error("amount", str(exc), code=exc.code or "invalid_amount") from exc


def callback_url(provider: str) -> str:
    if provider == "mpesa":
        return _absolute(reverse("webhook-secret", args=[provider, settings.MPESA_CALLBACK_SECRET]))
    return _absolute(reverse("webhook", args=[provider]))


def _provider_refused(txn: TransactionToken, exc: GatewayError) -> TransactionToken:
    """A refusal fails the payment; a timeout or 5xx leaves it PENDING (the provider may still
    have it) with the reason noted, for the webhook or the expiry job to settle."""
    reason = f"provider error: {exc}"[:255]
    with transaction.atomic():
        txn = _locked(txn)
        if not exc.retryable:
            return transition(txn, Status.FAILED, reason=reason)
        txn.failure_reason = reason
        txn.save(update_fields=["failure_reason", "updated_at"])
    return txn


def payment_authorize(txn: TransactionToken, *, authorization_code: str) -> TransactionToken:
    """The customer approved at the provider: PENDING -> AUTHORIZED with the provider's code."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.status != Status.PENDING:
            return txn
        txn.authorization_code = authorization_code[:128]
        txn.save(update_fields=["authorization_code", "updated_at"])
        return transition(txn, Status.AUTHORIZED)


def payment_refresh(txn: TransactionToken) -> TransactionToken:
    """Ask the provider where the payment stands (customer returned from the checkout page)."""
    payment = txn.external
    if txn.status != Status.PENDING or not payment.provider_reference:
        return txn
    try:
        session = gateway_for(payment.provider).get_payment(payment.provider_reference)
    except GatewayError as exc:
        logger.warning("status check for %s failed: %s", txn.token, exc)
        return txn
    if session.status in (PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED):
        return payment_authorize(txn, authorization_code=session.authorization_code or payment.provider_reference)
    if session.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        return payment_fail(txn, reason=f"provider reports {session.status.lower()}")
    return txn


def payment_complete(txn: TransactionToken, *, amount: Decimal, currency: str, authorization_code: str = "") -> str:
    """A verified, confirmed success: post clearing -> destination and complete. Returns a verdict
    reason ("" when applied)."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.status not in (Status.PENDING, Status.AUTHORIZED):
            return f"ignored: transaction is already {txn.status}"
        if amount != txn.amount or currency.upper() != txn.currency.upper():
            transition(
                txn,
                Status.FAILED,
                reason=f"provider reported {amount} {currency}, expected {txn.amount} {txn.currency}",
            )
            return "rejected: amount or currency does not match"
        if txn.status == Status.PENDING:
            txn.authorization_code = (authorization_code or txn.authorization_code)[:128]
            txn.save(update_fields=["authorization_code", "updated_at"])
            transition(txn, Status.AUTHORIZED)
        payment = txn.external
        try:
            with transaction.atomic():
                post(
                    txn=txn,
                    legs=[Leg(clearing_account(payment.provider).pk, -txn.amount), Leg(payment.account_id, txn.amount)],
                )
                transition(txn, Status.VERIFIED)
                settlement.settled(txn)
        except ApplicationError as exc:
            transition(txn, Status.FAILED, reason=f"could not settle: {exc.message}")
            return f"rejected: {exc.message}"
        transition(txn, Status.COMPLETED)
    return ""


def payment_fail(txn: TransactionToken, *, reason: str) -> TransactionToken:
    with transaction.atomic():
        txn = _locked(txn)
        if txn.status in (Status.PENDING, Status.AUTHORIZED) and txn.external.direction == ExternalPayment.Direction.IN:
            transition(txn, Status.FAILED, reason=reason)
    return txn


def payment_cancel(*, txn: TransactionToken, user) -> TransactionToken:
    with transaction.atomic():
        txn = _locked(txn)
        if txn.sender_id != user.pk:
            raise ApplicationError("not_found", "Not found.", status_code=404)
        if txn.payment_method != TransactionToken.PaymentMethod.EXTERNAL or txn.status != Status.PENDING:
            raise ApplicationError(
                "not_cancellable", f"Only PENDING external transactions can be cancelled; this one is {txn.status}."
            )
        return transition(txn, Status.CANCELLED, reason="cancelled by the owner")


def payments_expire(now: datetime) -> int:
    """Job: PENDING external payments the provider never confirmed fail after the TTL."""
    cutoff = now - timedelta(minutes=settings.EXTERNAL_PAYMENT_TTL_MINUTES)
    stale = TransactionToken.objects.filter(
        payment_method=TransactionToken.PaymentMethod.EXTERNAL, status=Status.PENDING, created_at__lt=cutoff
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(stale[:500]):
        with transaction.atomic():
            txn = TransactionToken.objects.select_for_update().get(pk=pk)
            if txn.status == Status.PENDING:
                transition(txn, Status.FAILED, reason="expired: not confirmed by the provider in time")
                expired += 1
    return expired


# --- money out -------------------------------------------------------------------------------


def withdrawal_start(
    *, user, amount: Decimal, provider: str, destination: str, description: str = ""
) -> TransactionToken:
    gateway = gateway_for(provider)
    if not destination:
        raise field_error(
            "metadata",
            "A payout destination is needed: metadata.destination or a saved payment method.",
            code="destination_required",
        )
    _check_amount(gateway, amount)
    from comrade.ledger.services import wallet_account_id

    txn = _outbound_hold(
        source_account_id=wallet_account_id(user),
        provider=provider,
        destination=destination,
        fields={
            "sender": user,
            "receiver": user,
            "amount": amount,
            "transaction_type": Type.WITHDRAWAL,
            "description": description or "Withdrawal",
            "metadata": {"destination": destination},
        },
    )
    if txn.status != Status.AUTHORIZED:
        return txn
    request = PayoutRequest(
        reference=txn.token,
        amount=amount,
        currency=txn.currency,
        destination=destination,
        idempotency_key=txn.token,
        description=txn.description,
        callback_url=callback_url(provider),
    )
    try:
        result = gateway.payout(request)
    except GatewayError as exc:
        return _outbound_error(txn, exc)
    return _outbound_result(txn, result.provider_reference, result.status, result.failure_reason)


def refund_create(*, original: TransactionToken, amount: Decimal | None, staff) -> TransactionToken:
    """Refund a COMPLETED external payment in full or in part, as its own REFUND transaction
    linked to the original. The refunded money is held first, so a wallet that has spent it
    cannot be refunded into the negative."""
    payment = getattr(original, "external", None)
    if payment is None or payment.direction != ExternalPayment.Direction.IN or original.status != Status.COMPLETED:
        raise ApplicationError("not_refundable", "Only COMPLETED external payments can be refunded.")
    if original.transaction_type not in REFUNDABLE_TYPES:
        raise ApplicationError(
            "not_refundable", f"{original.transaction_type} payments are refunded by their own flow."
        )
    gateway = gateway_for(payment.provider)
    if "refunds" not in gateway.supports:
        raise ApplicationError(
            "refund_unsupported",
            f"{gateway.display_name} payments cannot be refunded here; pay the customer back with a withdrawal.",
        )
    with transaction.atomic():
        TransactionToken.objects.select_for_update().get(pk=original.pk)
        left = original.amount - _refunded(original)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise field_error("amount", f"At most {left} can still be refunded.", code="refund_too_large")
        txn = _outbound_hold(
            source_account_id=payment.account_id,
            provider=payment.provider,
            destination=payment.provider_reference,
            fields={
                "sender": original.sender,
                "receiver": original.sender,
                "amount": amount,
                "transaction_type": Type.REFUND,
                "related_transaction": original,
                "description": f"Refund of {original.token}",
                "metadata": {"refunded_by": staff.pk},
            },
        )
    if txn.status != Status.AUTHORIZED:
        return txn
    try:
        result = gateway.refund(
            provider_reference=payment.provider_reference,
            amount=amount,
            currency=txn.currency,
            idempotency_key=txn.token,
        )
    except GatewayError as exc:
        return _outbound_error(txn, exc)
    return _outbound_result(txn, result.provider_reference, result.status, "")


def _refunded(original: TransactionToken) -> Decimal:
    live = Q(status__in=[Status.PENDING, Status.AUTHORIZED, Status.VERIFIED, Status.COMPLETED])
    total = original.related_transactions.filter(live, transaction_type=Type.REFUND).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


def _outbound_hold(*, source_account_id: int, provider: str, destination: str, fields: dict) -> TransactionToken:
    with transaction.atomic():
        txn = transaction_open(
            payment_method=TransactionToken.PaymentMethod.EXTERNAL, external_payment_provider=provider, **fields
        )
        ExternalPayment.objects.create(
            transaction=txn,
            provider=provider,
            direction=ExternalPayment.Direction.OUT,
            account_id=source_account_id,
            destination=destination[:255],
        )
        try:
            post(txn=txn, legs=[Leg(source_account_id, -txn.amount), Leg(holding_account().pk, txn.amount)])
        except InsufficientFunds as exc:
            return transition(txn, Status.FAILED, reason=exc.message)
        return transition(txn, Status.AUTHORIZED)


def _outbound_error(txn: TransactionToken, exc: GatewayError) -> TransactionToken:
    """Refused: release the hold. Timeout or 5xx: the provider may have paid, so the money stays
    held until its webhook (or staff) says how it ended."""
    if not exc.retryable:
        return outbound_finish(txn, succeeded=False, reason=f"provider refused: {exc}")
    with transaction.atomic():
        txn = _locked(txn)
        txn.failure_reason = f"provider unavailable, awaiting confirmation: {exc}"[:255]
        txn.save(update_fields=["failure_reason", "updated_at"])
    return txn


def _outbound_result(txn: TransactionToken, provider_reference: str, status: str, reason: str) -> TransactionToken:
    ExternalPayment.objects.filter(transaction=txn).update(provider_reference=provider_reference)
    if status == PaymentStatus.SUCCEEDED:
        return outbound_finish(txn, succeeded=True)
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        return outbound_finish(txn, succeeded=False, reason=reason or "provider reports failure")
    return txn


def outbound_finish(txn: TransactionToken, *, succeeded: bool, reason: str = "") -> TransactionToken:
    """Send held money on to the provider's clearing account, or release it back to its source."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.status != Status.AUTHORIZED:
            return txn
        payment = txn.external
        holding = holding_account().pk
        if succeeded:
            post(txn=txn, legs=[Leg(holding, -txn.amount), Leg(clearing_account(payment.provider).pk, txn.amount)])
            transition(txn, Status.VERIFIED)
            return transition(txn, Status.COMPLETED)
        post(txn=txn, legs=[Leg(holding, -txn.amount), Leg(payment.account_id, txn.amount)])
        return transition(txn, Status.FAILED, reason=reason)


def external_transaction_create(
    *, user, transaction_type: str, amount: Decimal, provider: str, description: str = "", metadata: dict | None = None
) -> TransactionToken:
    """`create_transaction` with payment_method EXTERNAL: a deposit into the wallet or a
    withdrawal from it. Purchases and contributions start from their own endpoints."""
    from comrade.ledger.payment_methods import saved_destination
    from comrade.ledger.selectors import profile_for

    metadata = metadata or {}
    if not provider:
        raise field_error(
            "external_payment_provider", "Choose a provider for an EXTERNAL transaction.", code="required"
        )
    profile = profile_for(user)
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
