"""Applying what a provider says about a payment: the one code path shared by verified webhooks,
the answer to our own payout or refund call, the customer's return from a checkout page, and
reconciliation. Each answer is applied with the transaction row locked, and applying the same
answer twice changes nothing.

The rule it keeps: money the provider took always lands somewhere the customer sees it, exactly
once. A success for a payment we already gave up on (expired, cancelled), or for a destination
that can no longer take it (a closed group, a deleted product), is credited to the payer's wallet
in a linked transaction. What code must not decide alone (a provider that paid out after we
released the hold, an answer for another amount than we asked) is kept open and flagged for staff
(REVIEW), and changes nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from comrade.core import settlement
from comrade.core.errors import ApplicationError
from comrade.gateways.models import ExternalPayment
from comrade.gateways.providers.base import EventKind, PaymentStatus, WebhookEvent
from comrade.gateways.services.common import (
    Outcome,
    Result,
    Status,
    clearing_account,
    credit_payer_wallet,
    holding_account,
    locked,
    resolve,
)
from comrade.ledger.models import FailureCode, TransactionToken
from comrade.ledger.services import Leg, post, transition

Direction = ExternalPayment.Direction
OPEN = (Status.PENDING, Status.AUTHORIZED)
ENDED_WITHOUT_MONEY = (Status.FAILED, Status.CANCELLED)


@dataclass(frozen=True)
class ProviderAnswer:
    """Where a payment (IN) or a payout or refund (OUT) stands at its provider."""

    direction: str
    status: PaymentStatus
    amount: Decimal | None = None
    currency: str = ""
    authorization_code: str = ""
    failure_code: str = ""
    failure_reason: str = ""


EVENT_ANSWERS = {
    EventKind.PAYMENT_SUCCEEDED: (Direction.IN, PaymentStatus.SUCCEEDED),
    EventKind.PAYMENT_FAILED: (Direction.IN, PaymentStatus.FAILED),
    EventKind.PAYMENT_ATTEMPT_FAILED: (Direction.IN, PaymentStatus.PENDING),
    EventKind.PAYOUT_SUCCEEDED: (Direction.OUT, PaymentStatus.SUCCEEDED),
    EventKind.PAYOUT_FAILED: (Direction.OUT, PaymentStatus.FAILED),
    EventKind.REFUND_SUCCEEDED: (Direction.OUT, PaymentStatus.SUCCEEDED),
    EventKind.REFUND_FAILED: (Direction.OUT, PaymentStatus.FAILED),
}


def answer_from_event(event: WebhookEvent) -> ProviderAnswer | None:
    if event.kind not in EVENT_ANSWERS:
        return None
    direction, status = EVENT_ANSWERS[event.kind]
    return ProviderAnswer(
        direction=direction,
        status=status,
        amount=event.amount,
        currency=event.currency,
        authorization_code=event.authorization_code,
        failure_code=event.failure_code,
        failure_reason=event.failure_reason,
    )


def answer_apply(*, payment: ExternalPayment, answer: ProviderAnswer) -> Result:
    if answer.direction != payment.direction:
        return Result(Outcome.NOT_APPLICABLE, f"a {answer.direction} answer does not apply to a {payment.direction}")
    with transaction.atomic():
        txn = locked(payment.transaction)
        payment = ExternalPayment.objects.get(pk=payment.pk)
        payment.transaction = txn
        if payment.direction == Direction.IN:
            return _apply_in(payment, txn, answer)
        return _apply_out(payment, txn, answer)


# --- money in ---------------------------------------------------------------------------------


def _apply_in(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    if answer.status == PaymentStatus.SUCCEEDED:
        return _money_taken(payment, txn, answer)
    if answer.status.is_final:
        return _payment_ended(payment, txn, answer)
    if answer.status == PaymentStatus.AUTHORIZED and txn.status == Status.PENDING:
        payment_authorize_locked(txn, answer.authorization_code or payment.provider_reference)
        return Result(Outcome.APPLIED, "approved by the customer")
    if txn.status in (Status.VERIFIED, Status.COMPLETED):
        return Result(Outcome.ALREADY_DONE, f"transaction is already {txn.status}")
    if txn.status in ENDED_WITHOUT_MONEY:
        return Result(Outcome.NOTED, f"still {answer.status} at the provider; {txn.status} here, asked again later")
    if answer.failure_code or answer.failure_reason:
        _note_failure(txn, answer)
        return Result(Outcome.NOTED, f"attempt failed, the customer may retry: {answer.failure_reason}")
    return Result(Outcome.NOTED, f"still {answer.status} at the provider")


def payment_authorize_locked(txn: TransactionToken, authorization_code: str) -> TransactionToken:
    txn.authorization_code = authorization_code[:128]
    txn.save(update_fields=["authorization_code", "updated_at"])
    return transition(txn, Status.AUTHORIZED)


def _note_failure(txn: TransactionToken, answer: ProviderAnswer) -> None:
    txn.failure_code = (answer.failure_code or FailureCode.PAYMENT_ATTEMPT_FAILED)[:64]
    txn.failure_reason = (answer.failure_reason or "a payment attempt failed")[:255]
    txn.save(update_fields=["failure_code", "failure_reason", "updated_at"])


def _payment_ended(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    if txn.status in OPEN:
        reason = answer.failure_reason or f"provider reports {answer.status.lower()}"
        transition(txn, Status.FAILED, reason=reason, code=answer.failure_code or FailureCode.PROVIDER_FAILED)
        resolve(payment, answer.status)
        return Result(Outcome.APPLIED)
    if txn.status in ENDED_WITHOUT_MONEY:
        resolve(payment, answer.status)
        return Result(Outcome.ALREADY_DONE, f"transaction is already {txn.status}")
    return Result(Outcome.REVIEW, f"provider reports {answer.status} for a payment already credited ({txn.status})")


def _money_taken(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    """An answer for another amount or currency than we asked changes nothing and is flagged: it
    is either a forgery or a provider fault, and a genuine answer may still follow."""
    amount = txn.amount if answer.amount is None else answer.amount
    currency = (answer.currency or txn.currency).upper()
    if amount != txn.amount or currency != txn.currency.upper():
        return Result(Outcome.REVIEW, f"provider reported {amount} {currency}, expected {txn.amount} {txn.currency}")
    if txn.status in (Status.VERIFIED, Status.COMPLETED):
        resolve(payment, answer.status)
        return Result(Outcome.ALREADY_DONE, f"transaction is already {txn.status}")
    if txn.status in ENDED_WITHOUT_MONEY:
        return _to_wallet(payment, amount, "late_payment", f"Late payment for {txn.token}, credited to your wallet")
    return _settle_into_destination(payment, txn, answer)


def _settle_into_destination(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    if txn.status == Status.PENDING:
        payment_authorize_locked(txn, answer.authorization_code or txn.authorization_code)
    try:
        with transaction.atomic():
            settlement.prepare(txn)
            post(
                txn=txn,
                legs=[Leg(clearing_account(payment.provider).pk, -txn.amount), Leg(payment.account_id, txn.amount)],
            )
            transition(txn, Status.VERIFIED)
            settlement.settled(txn)
    except (settlement.Refused, ApplicationError) as exc:
        txn = TransactionToken.objects.get(pk=txn.pk)
        transition(
            txn, Status.FAILED, reason=f"could not be credited as intended: {exc}", code=FailureCode.DESTINATION_REFUSED
        )
        return _to_wallet(payment, txn.amount, getattr(exc, "code", "refused"), f"Payment {txn.token} returned: {exc}")
    transition(txn, Status.COMPLETED)
    resolve(payment, PaymentStatus.SUCCEEDED)
    return Result(Outcome.APPLIED)


def _to_wallet(
    payment: ExternalPayment,
    amount: Decimal,
    because: str,
    description: str,
    provider_status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> Result:
    if payment.wallet_credit_id is not None:
        resolve(payment, provider_status)
        return Result(Outcome.ALREADY_DONE, f"already credited to the payer's wallet as {payment.wallet_credit.token}")
    credit = credit_payer_wallet(payment, amount=amount, because=because, description=description)
    resolve(payment, provider_status)
    return Result(Outcome.APPLIED, f"credited to the payer's wallet ({because}) as {credit.token}")


# --- money out --------------------------------------------------------------------------------


def _apply_out(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    if answer.status == PaymentStatus.SUCCEEDED:
        return _paid_out(payment, txn, answer)
    if answer.status.is_final:
        return _payout_ended(payment, txn, answer)
    return Result(Outcome.NOTED, f"still {answer.status} at the provider")


def _paid_out(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    if answer.amount is not None and answer.amount != txn.amount:
        return Result(Outcome.REVIEW, f"provider paid {answer.amount}, expected {txn.amount}")
    if txn.status == Status.AUTHORIZED:
        holding = holding_account().pk
        post(txn=txn, legs=[Leg(holding, -txn.amount), Leg(clearing_account(payment.provider).pk, txn.amount)])
        transition(txn, Status.VERIFIED)
        transition(txn, Status.COMPLETED)
        resolve(payment, answer.status)
        return Result(Outcome.APPLIED)
    if txn.status == Status.COMPLETED:
        resolve(payment, answer.status)
        return Result(Outcome.ALREADY_DONE, "transaction is already COMPLETED")
    return Result(Outcome.REVIEW, f"provider paid out a {txn.status} transaction whose hold was released")


def _payout_ended(payment: ExternalPayment, txn: TransactionToken, answer: ProviderAnswer) -> Result:
    reason = answer.failure_reason or f"provider reports the payout {answer.status.lower()}"
    if txn.status == Status.AUTHORIZED:
        post(txn=txn, legs=[Leg(holding_account().pk, -txn.amount), Leg(payment.account_id, txn.amount)])
        transition(txn, Status.FAILED, reason=reason, code=answer.failure_code or FailureCode.PROVIDER_FAILED)
        resolve(payment, answer.status)
        return Result(Outcome.APPLIED)
    if txn.status == Status.COMPLETED:
        description = f"{txn.token} returned by the provider: {reason}"
        return _to_wallet(payment, txn.amount, "returned_by_provider", description, answer.status)
    resolve(payment, answer.status)
    return Result(Outcome.ALREADY_DONE, f"transaction is already {txn.status}")
