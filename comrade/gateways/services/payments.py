"""Money in: a deposit, an external purchase or an external group contribution.

PENDING -> the customer approves at the provider -> AUTHORIZED -> the provider's verified answer
-> VERIFIED (clearing -> destination posted) -> COMPLETED. No row lock is held while a provider is
called: each step is its own short atomic block, and the provider's answers are applied by
`answers.answer_apply`, which does nothing when the transaction has already moved on.

Cancelling or expiring a payment cancels it at the provider too where the provider allows it. A
payment we gave up on stays open for reconciliation until the provider's answer is final, and if
the money was taken after all it is credited to the payer's wallet.
"""

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from comrade.core.errors import ApplicationError, field_error
from comrade.gateways.models import ExternalPayment
from comrade.gateways.providers.base import Gateway, GatewayError, PaymentRequest, PaymentSession, PaymentStatus
from comrade.gateways.registry import gateway_for
from comrade.gateways.services.answers import ProviderAnswer, answer_apply, payment_authorize_locked
from comrade.gateways.services.common import Status, callback_url, locked, resolve, return_url
from comrade.gateways.services.parked import parked_apply
from comrade.ledger.models import FailureCode, TransactionToken, default_currency
from comrade.ledger.services import transaction_open, transition

logger = logging.getLogger(__name__)


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
    `guard` runs first inside the transaction that opens the payment (a caller's locked check,
    such as the monthly purchase quota), so that it and the payment commit together."""
    gateway = gateway_for(provider)
    check_amount(gateway, amount)
    callback = callback_url(provider)  # before anything is written: a bad setting writes nothing
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
        return_url=return_url(provider, txn.token),
        callback_url=callback,
    )
    try:
        session = gateway.create_payment(request)
    except GatewayError as exc:
        return _provider_refused(payment, exc)
    payment.provider_reference = session.provider_reference
    payment.redirect_url = session.redirect_url
    payment.save(update_fields=["provider_reference", "redirect_url"])
    parked_apply(payment)
    txn.refresh_from_db()
    return txn


def check_amount(gateway: Gateway, amount: Decimal) -> None:
    """An amount the provider cannot move exactly (KES with cents for M-Pesa) is refused with a 400
    before anything is written, rather than opened and failed."""
    try:
        gateway.check_amount(amount, default_currency())
    except GatewayError as exc:
        raise field_error("amount", str(exc), code=exc.code or "invalid_amount") from exc


def _provider_refused(payment: ExternalPayment, exc: GatewayError) -> TransactionToken:
    """A refusal fails the payment; a timeout or 5xx leaves it PENDING (the provider may still
    have it) with the reason noted, for reconciliation to settle."""
    reason = f"provider error: {exc}"[:255]
    with transaction.atomic():
        txn = locked(payment.transaction)
        if not exc.retryable:
            resolve(payment, PaymentStatus.FAILED)
            return transition(txn, Status.FAILED, reason=reason, code=FailureCode.PROVIDER_REFUSED)
        txn.failure_reason = reason
        txn.failure_code = FailureCode.PROVIDER_UNAVAILABLE
        txn.save(update_fields=["failure_reason", "failure_code", "updated_at"])
    return txn


def payment_authorize(txn: TransactionToken, *, authorization_code: str) -> TransactionToken:
    """The customer approved at the provider: PENDING -> AUTHORIZED with the provider's code."""
    with transaction.atomic():
        txn = locked(txn)
        if txn.status != Status.PENDING:
            return txn
        return payment_authorize_locked(txn, authorization_code)


def answer_from_session(session: PaymentSession) -> ProviderAnswer:
    return ProviderAnswer(
        direction=ExternalPayment.Direction.IN,
        status=session.status,
        amount=session.amount,
        currency=session.currency,
        authorization_code=session.authorization_code,
        failure_code=session.failure_code,
        failure_reason=session.failure_reason,
    )


def payment_refresh(txn: TransactionToken) -> TransactionToken:
    """Ask the provider where the payment stands (the customer returned from the checkout page).
    A page load records the approval or the failure but never credits money: the provider's
    webhook or reconciliation does that."""
    payment = txn.external
    if txn.status not in (Status.PENDING, Status.AUTHORIZED) or not payment.provider_reference:
        return txn
    try:
        session = gateway_for(payment.provider).get_payment(payment.provider_reference)
    except GatewayError as exc:
        logger.warning("status check for %s failed: %s", txn.token, exc)
        return txn
    answer = answer_from_session(session)
    if answer.status == PaymentStatus.SUCCEEDED:
        answer = replace(answer, status=PaymentStatus.AUTHORIZED)
    answer_apply(payment=payment, answer=answer)
    txn.refresh_from_db()
    return txn


def payment_cancel(*, txn: TransactionToken, user) -> TransactionToken:
    """The owner gives up on a PENDING payment; it is cancelled at the provider too."""
    with transaction.atomic():
        txn = locked(txn)
        if txn.sender_id != user.pk:
            raise ApplicationError("not_found", "Not found.", status_code=404)
        if txn.payment_method != TransactionToken.PaymentMethod.EXTERNAL or txn.status != Status.PENDING:
            raise ApplicationError(
                "not_cancellable", f"Only PENDING external transactions can be cancelled; this one is {txn.status}."
            )
        txn = transition(txn, Status.CANCELLED, reason="cancelled by the owner", code=FailureCode.CANCELLED_BY_OWNER)
    _cancel_at_provider(txn.external)
    return txn


def payments_expire(now: datetime) -> int:
    """Job: PENDING external payments the provider never confirmed fail after the TTL, and are
    cancelled at the provider."""
    cutoff = now - timedelta(minutes=settings.EXTERNAL_PAYMENT_TTL_MINUTES)
    stale = TransactionToken.objects.filter(
        payment_method=TransactionToken.PaymentMethod.EXTERNAL, status=Status.PENDING, created_at__lt=cutoff
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(stale[:500]):
        with transaction.atomic():
            txn = TransactionToken.objects.select_for_update().get(pk=pk)
            if txn.status != Status.PENDING:
                continue
            transition(
                txn, Status.FAILED, reason="expired: not confirmed by the provider in time", code=FailureCode.EXPIRED
            )
            expired += 1
        _cancel_at_provider(txn.external)
    return expired


def _cancel_at_provider(payment: ExternalPayment) -> None:
    """Best effort, after our own cancel committed. CANCELLED at the provider resolves the
    payment; SUCCEEDED (the customer paid meanwhile) is applied, which credits the wallet; anything
    else leaves it open for reconciliation."""
    if not payment.provider_reference:
        return
    try:
        gateway = gateway_for(payment.provider)
        status = gateway.cancel_payment(payment.provider_reference)
        session = gateway.get_payment(payment.provider_reference) if status == PaymentStatus.SUCCEEDED else None
    except (GatewayError, ApplicationError) as exc:
        logger.info("cancel of %s at %s: %s", payment.transaction.token, payment.provider, exc)
        return
    if session is not None:
        answer_apply(payment=payment, answer=answer_from_session(session))
    elif status.is_final:
        answer_apply(payment=payment, answer=ProviderAnswer(direction=payment.direction, status=status))
