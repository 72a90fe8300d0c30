"""Money out: a withdrawal or a staff refund.

The amount is held (source -> holding, AUTHORIZED) and committed before the provider is called;
the provider's answer then sends it on (holding -> clearing, COMPLETED) or releases it back
(FAILED), through `answers.answer_apply` like every other answer. A timeout leaves the money held
and the payout open for reconciliation, which asks the provider how it ended.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from comrade.core.errors import ApplicationError, field_error
from comrade.gateways.models import ExternalPayment
from comrade.gateways.providers.base import GatewayError, PaymentStatus, PayoutRequest
from comrade.gateways.registry import gateway_for
from comrade.gateways.services.answers import ProviderAnswer, answer_apply
from comrade.gateways.services.common import Status, Type, callback_url, holding_account, locked
from comrade.gateways.services.parked import parked_apply
from comrade.gateways.services.payments import check_amount
from comrade.ledger.models import FailureCode, TransactionToken
from comrade.ledger.services import InsufficientFunds, Leg, post, transaction_open, transition, wallet_account_id

REFUNDABLE_TYPES = (Type.DEPOSIT, Type.PURCHASE)
OUT = ExternalPayment.Direction.OUT


def withdrawal_start(
    *, user, amount: Decimal, provider: str, destination: str, description: str = "", metadata: dict | None = None
) -> TransactionToken:
    gateway = gateway_for(provider)
    if not destination:
        raise field_error(
            "metadata",
            "A payout destination is needed: metadata.destination or a saved payment method.",
            code="destination_required",
        )
    check_amount(gateway, amount)
    callback = callback_url(provider)  # before the hold: a bad setting must not strand held money
    payment = _outbound_hold(
        source_account_id=wallet_account_id(user),
        provider=provider,
        destination=destination,
        fields={
            "sender": user,
            "receiver": user,
            "amount": amount,
            "transaction_type": Type.WITHDRAWAL,
            "description": description or "Withdrawal",
            "metadata": {**(metadata or {}), "destination": destination},
        },
    )
    txn = payment.transaction
    if txn.status != Status.AUTHORIZED:
        return txn
    request = PayoutRequest(
        reference=txn.token,
        amount=amount,
        currency=txn.currency,
        destination=destination,
        idempotency_key=txn.token,
        description=txn.description,
        callback_url=callback,
    )
    try:
        result = gateway.payout(request)
    except GatewayError as exc:
        return _outbound_error(payment, exc)
    return _outbound_result(payment, result.provider_reference, _answer(result))


def refund_create(*, original: TransactionToken, amount: Decimal | None, staff) -> TransactionToken:
    """Refund a COMPLETED external payment in full or in part, as its own REFUND transaction
    linked to the original. The refunded money is held first, so a wallet that has spent it
    cannot be refunded into the negative."""
    paid = _refundable_payment(original)
    gateway = gateway_for(paid.provider)
    with transaction.atomic():
        TransactionToken.objects.select_for_update().get(pk=original.pk)
        left = original.amount - _refunded(original)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise field_error("amount", f"At most {left} can still be refunded.", code="refund_too_large")
        payment = _outbound_hold(
            source_account_id=paid.account_id,
            provider=paid.provider,
            destination=paid.provider_reference,
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
    txn = payment.transaction
    if txn.status != Status.AUTHORIZED:
        return txn
    try:
        result = gateway.refund(
            provider_reference=paid.provider_reference, amount=amount, currency=txn.currency, idempotency_key=txn.token
        )
    except GatewayError as exc:
        return _outbound_error(payment, exc)
    return _outbound_result(payment, result.provider_reference, _answer(result))


def _refundable_payment(original: TransactionToken) -> ExternalPayment:
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
    return payment


def _refunded(original: TransactionToken) -> Decimal:
    live = Q(status__in=[Status.PENDING, Status.AUTHORIZED, Status.VERIFIED, Status.COMPLETED])
    total = original.related_transactions.filter(live, transaction_type=Type.REFUND).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


def _outbound_hold(*, source_account_id: int, provider: str, destination: str, fields: dict) -> ExternalPayment:
    with transaction.atomic():
        txn = transaction_open(
            payment_method=TransactionToken.PaymentMethod.EXTERNAL, external_payment_provider=provider, **fields
        )
        payment = ExternalPayment.objects.create(
            transaction=txn,
            provider=provider,
            direction=OUT,
            account_id=source_account_id,
            destination=destination[:255],
        )
        try:
            post(txn=txn, legs=[Leg(source_account_id, -txn.amount), Leg(holding_account().pk, txn.amount)])
        except InsufficientFunds as exc:
            transition(txn, Status.FAILED, reason=exc.message, code=FailureCode.INSUFFICIENT_FUNDS)
            payment.resolved_at = txn.updated_at
            payment.save(update_fields=["resolved_at"])
            return payment
        transition(txn, Status.AUTHORIZED)
        return payment


def _answer(result) -> ProviderAnswer:
    return ProviderAnswer(
        direction=OUT,
        status=result.status,
        amount=getattr(result, "amount", None),
        failure_code=result.failure_code,
        failure_reason=result.failure_reason,
    )


def _outbound_error(payment: ExternalPayment, exc: GatewayError) -> TransactionToken:
    """Refused: release the hold. Timeout or 5xx: the provider may have paid, so the money stays
    held until its webhook or reconciliation says how it ended."""
    if not exc.retryable:
        answer = ProviderAnswer(
            direction=OUT,
            status=PaymentStatus.FAILED,
            failure_code=exc.code or FailureCode.PROVIDER_REFUSED,
            failure_reason=f"provider refused: {exc}",
        )
        answer_apply(payment=payment, answer=answer)
        return TransactionToken.objects.get(pk=payment.transaction_id)
    with transaction.atomic():
        txn = locked(payment.transaction)
        txn.failure_reason = f"provider unavailable, awaiting confirmation: {exc}"[:255]
        txn.failure_code = FailureCode.PROVIDER_UNAVAILABLE
        txn.save(update_fields=["failure_reason", "failure_code", "updated_at"])
    return txn


def _outbound_result(payment: ExternalPayment, provider_reference: str, answer: ProviderAnswer) -> TransactionToken:
    ExternalPayment.objects.filter(pk=payment.pk).update(provider_reference=provider_reference)
    payment.provider_reference = provider_reference
    answer_apply(payment=payment, answer=answer)
    parked_apply(payment)
    return TransactionToken.objects.get(pk=payment.transaction_id)
