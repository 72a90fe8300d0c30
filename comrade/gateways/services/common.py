"""What every external flow shares: the platform's accounts for money at providers, the row lock
on a transaction, the callback URLs, and the one place where money that cannot land where it was
meant to lands instead: the payer's wallet."""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from comrade.gateways.models import ExternalPayment
from comrade.gateways.registry import gateway_for
from comrade.ledger.models import LedgerAccount, TransactionStatus, TransactionToken
from comrade.ledger.services import Leg, settle, system_account, transaction_open, wallet_account_id

Status = TransactionStatus
Type = TransactionToken.Type


class Outcome(StrEnum):
    """What applying a provider's answer did. The webhook verdict and the reconciliation record
    are derived from it; nothing decides on reason text."""

    APPLIED = "APPLIED"  # the transaction moved on (completed, failed, released, credited)
    NOTED = "NOTED"  # not final at the provider: recorded, asked again later
    ALREADY_DONE = "ALREADY_DONE"  # the transaction already ended the way the answer says
    REVIEW = "REVIEW"  # money in doubt that code must not decide alone; flagged for staff
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the answer is not about this kind of payment


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    reason: str = ""


def clearing_account(provider: str) -> LedgerAccount:
    return system_account(LedgerAccount.Kind.CLEARING, provider)


def holding_account() -> LedgerAccount:
    return system_account(LedgerAccount.Kind.HOLDING, allow_negative=False)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def locked(txn: TransactionToken) -> TransactionToken:
    return TransactionToken.objects.select_for_update().get(pk=txn.pk)


def callback_url(provider: str) -> str:
    return absolute(gateway_for(provider).callback_path())


def return_url(provider: str, reference: str) -> str:
    return absolute(reverse("gateway-return", args=[provider])) + f"?reference={reference}"


def resolve(payment: ExternalPayment, provider_status: str) -> None:
    """The provider's final answer has been applied: reconciliation stops asking."""
    payment.resolved_at = payment.resolved_at or timezone.now()
    payment.provider_status = provider_status
    payment.next_check_at = None
    payment.save(update_fields=["resolved_at", "provider_status", "next_check_at"])


def credit_payer_wallet(payment: ExternalPayment, *, amount, because: str, description: str) -> TransactionToken:
    """Money the provider took (or gave back) that cannot go where it was meant to: credit it to
    the payer's wallet in a transaction linked to the original. `ExternalPayment.wallet_credit` is
    unique, so this happens at most once per payment. Runs with the original's row locked."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("credit_payer_wallet must run inside the caller's atomic block")
    original = payment.transaction
    if payment.wallet_credit_id is not None:
        return payment.wallet_credit
    credit = transaction_open(
        sender=original.sender,
        receiver=original.sender,
        amount=amount,
        payment_method=TransactionToken.PaymentMethod.EXTERNAL,
        external_payment_provider=payment.provider,
        transaction_type=Type.DEPOSIT,
        related_transaction=original,
        description=description[:255],
        metadata={"credited_because": because, "original": original.token},
        idempotency_record_id=None,
    )
    settle(
        credit, [Leg(clearing_account(payment.provider).pk, -amount), Leg(wallet_account_id(original.sender), amount)]
    )
    payment.wallet_credit = credit
    payment.save(update_fields=["wallet_credit"])
    return credit
