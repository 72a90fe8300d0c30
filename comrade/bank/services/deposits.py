"""Crediting a bank transfer to a wallet, through the same path as a provider's verified webhook:
a DEPOSIT transaction with an ExternalPayment of provider "bank", and the provider's SUCCEEDED
answer applied by `answers.answer_apply` (clearing:bank -> wallet, PENDING -> AUTHORIZED ->
VERIFIED -> COMPLETED, the payment resolved). The ledger entries are written by
comrade/ledger/services.py, as for every other deposit."""

from django.db import transaction

from comrade.bank.models import BankEntry
from comrade.gateways.models import ExternalPayment
from comrade.gateways.providers.base import PaymentStatus
from comrade.gateways.services.answers import ProviderAnswer, answer_apply
from comrade.gateways.services.common import Outcome
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import transaction_open, wallet_account_id

PROVIDER = "bank"


def bank_deposit_credit(*, entry: BankEntry, user, because: str, decided_by=None) -> TransactionToken:
    """Credit `entry` to `user`'s wallet once: the entry's `deposit` column is a unique one-to-one,
    and the caller holds the entry (a fresh insert, or its exception row locked)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bank_deposit_credit must run inside the caller's atomic block")
    if entry.deposit_id is not None:
        raise RuntimeError(f"bank entry {entry.entry_reference} was already credited")
    metadata = {"bank_entry": entry.entry_reference, "bank_statement": entry.statement_id, "credited_because": because}
    if decided_by is not None:
        metadata["decided_by"] = decided_by.pk
    txn = transaction_open(
        sender=user,
        receiver=user,
        amount=entry.amount,
        payment_method=TransactionToken.PaymentMethod.EXTERNAL,
        external_payment_provider=PROVIDER,
        transaction_type=TransactionToken.Type.DEPOSIT,
        description=f"Bank transfer {entry.entry_reference}"[:255],
        metadata=metadata,
        idempotency_record_id=None,
    )
    payment = ExternalPayment.objects.create(
        transaction=txn,
        provider=PROVIDER,
        direction=ExternalPayment.Direction.IN,
        account_id=wallet_account_id(user),
        provider_reference=f"{entry.account_iban}/{entry.entry_reference}"[:128],
    )
    answer = ProviderAnswer(
        direction=ExternalPayment.Direction.IN,
        status=PaymentStatus.SUCCEEDED,
        amount=entry.amount,
        currency=entry.currency,
        authorization_code=entry.entry_reference,
    )
    result = answer_apply(payment=payment, answer=answer)
    if result.outcome != Outcome.APPLIED:
        raise RuntimeError(f"bank entry {entry.entry_reference} could not be credited: {result.reason}")
    entry.deposit = TransactionToken.objects.get(pk=txn.pk)
    entry.save(update_fields=["deposit"])
    return entry.deposit
