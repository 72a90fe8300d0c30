"""The only code that writes ledger entries or changes a cached balance.

`post` is the primitive: it locks the accounts it touches in primary-key order (so two
transactions can never wait on each other in opposite orders), checks that no account that must
stay non-negative would go below zero, then updates the caches and appends the entries in the
caller's database transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog
from django.db import transaction
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.core.idempotency import current_idempotency_record_id
from comrade.ledger.models import (
    ALLOWED_TRANSITIONS,
    FailureCode,
    IllegalTransition,
    LedgerAccount,
    LedgerEntry,
    PaymentProfile,
    TransactionStatus,
    TransactionStatusChange,
    TransactionToken,
)

Status = TransactionStatus


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: Decimal  # > 0 credits the account, < 0 debits it


INSUFFICIENT_FUNDS = "Insufficient balance"


class InsufficientFunds(ApplicationError):
    def __init__(self, account: LedgerAccount, needed: Decimal):
        super().__init__(
            "insufficient_funds",
            f"{INSUFFICIENT_FUNDS}: {account.balance} available, {needed} needed.",
            fields={"amount": ["Insufficient balance."]},
        )
        self.account = account


def wallet_open(*, user) -> PaymentProfile:
    account = LedgerAccount.objects.create(kind=LedgerAccount.Kind.WALLET, code=f"wallet:{user.pk}")
    return PaymentProfile.objects.create(user=user, account=account)


def system_account(kind: str, name: str = "", *, allow_negative: bool = True) -> LedgerAccount:
    """The platform's own accounts (funding, clearing per provider, holding, revenue), created on
    first use."""
    code = f"{kind.lower()}:{name}" if name else kind.lower()
    account, _ = LedgerAccount.objects.get_or_create(
        code=code, defaults={"kind": kind, "allow_negative": allow_negative}
    )
    return account


def failed_for_funds(txn: TransactionToken) -> bool:
    return txn.status == Status.FAILED and txn.failure_code == FailureCode.INSUFFICIENT_FUNDS


def lock_accounts(account_ids) -> dict[int, LedgerAccount]:
    ids = sorted(set(account_ids))
    return {a.pk: a for a in LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def post(*, txn: TransactionToken, legs: Sequence[Leg]) -> list[LedgerEntry]:
    """Append a balanced journal for `txn`. Raises InsufficientFunds before writing anything."""
    if len(legs) < 2 or sum(leg.amount for leg in legs) != 0 or any(leg.amount == 0 for leg in legs):
        raise ValueError(f"Unbalanced or empty journal for {txn.token}: {legs}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post must run inside transaction.atomic()")
    accounts = lock_accounts(leg.account_id for leg in legs)
    _check_funds(accounts, legs)
    entries = []
    for leg in legs:
        account = accounts[leg.account_id]
        account.balance += leg.amount
        if leg.amount > 0:
            account.total_in += leg.amount
        else:
            account.total_out -= leg.amount
        entries.append(LedgerEntry(transaction=txn, account=account, amount=leg.amount, balance_after=account.balance))
    for account in accounts.values():
        LedgerAccount.objects.filter(pk=account.pk).update(
            balance=account.balance, total_in=account.total_in, total_out=account.total_out
        )
    return LedgerEntry.objects.bulk_create(entries)


def _check_funds(accounts: dict[int, LedgerAccount], legs: Sequence[Leg]) -> None:
    net: dict[int, Decimal] = {}
    for leg in legs:
        net[leg.account_id] = net.get(leg.account_id, Decimal(0)) + leg.amount
    for account_id, change in net.items():
        account = accounts[account_id]
        if not account.allow_negative and account.balance + change < 0:
            raise InsufficientFunds(account, -change)


def transition(txn: TransactionToken, to_status: str, *, reason: str = "", code: str = "") -> TransactionToken:
    """Move a transaction to its next status and record it in the audit trail. The model refuses
    transitions the state machine does not allow. A FAILED or CANCELLED transaction keeps why, as a
    code for code and a reason for people; one that completes forgets an earlier failure."""
    from_status = txn.status
    txn.status = to_status
    fields = ["status", "updated_at"]
    if to_status == Status.VERIFIED:
        txn.verification_date = timezone.now()
        fields.append("verification_date")
    if to_status in (Status.FAILED, Status.CANCELLED) and (reason or code):
        txn.failure_reason = reason[:255]
        txn.failure_code = code[:64]
        fields += ["failure_reason", "failure_code"]
    elif to_status == Status.COMPLETED and (txn.failure_reason or txn.failure_code):
        txn.failure_reason = txn.failure_code = ""
        fields += ["failure_reason", "failure_code"]
    txn.save(update_fields=fields)
    TransactionStatusChange.objects.create(
        transaction=txn, from_status=from_status, to_status=to_status, reason=reason[:255]
    )
    return txn


def transaction_open(**fields) -> TransactionToken:
    """Create a PENDING transaction (step 1: the token) with its first audit row. It is linked to
    the Idempotency-Key of the request that opened it, if any, so an interrupted request can be
    told apart from one that never moved money. Its token is bound to the log context, so every
    later line of this request or job run can be found by it."""
    fields.setdefault("idempotency_record_id", current_idempotency_record_id())
    txn = TransactionToken.objects.create(status=Status.PENDING, **fields)
    structlog.contextvars.bind_contextvars(transaction_token=txn.token)
    TransactionStatusChange.objects.create(transaction=txn, from_status="", to_status=Status.PENDING)
    return txn


def settle(txn: TransactionToken, legs: Sequence[Leg]) -> TransactionToken:
    """Steps 2-4 of the internal flow in the caller's database transaction: AUTHORIZED (the
    payer's funds are validated and debited), VERIFIED (the payee is credited: the balanced
    journal is posted), COMPLETED (totals updated). Insufficient funds leave the transaction
    FAILED with the reason and no entry written; the caller decides how to answer."""
    try:
        post(txn=txn, legs=legs)
    except InsufficientFunds as exc:
        return transition(txn, Status.FAILED, reason=exc.message, code=FailureCode.INSUFFICIENT_FUNDS)
    return _advance(txn, [Status.AUTHORIZED, Status.VERIFIED, Status.COMPLETED])


def _advance(txn: TransactionToken, path: Sequence[str]) -> TransactionToken:
    """Walk the state machine through `path`, checking every step, then write its audit rows in
    one insert and the transaction once (the hot path of every internal payment). The rows go
    first: on PostgreSQL the status_machine trigger accepts a multi-step jump only when the audit
    trail already holds each step."""
    changes = []
    for to_status in path:
        if to_status not in ALLOWED_TRANSITIONS[txn.status]:
            raise IllegalTransition(f"{txn.status} -> {to_status} is not allowed.")
        changes.append(TransactionStatusChange(transaction=txn, from_status=txn.status, to_status=to_status))
        txn.status = to_status
    now = timezone.now()
    txn.verification_date = now if Status.VERIFIED in path else txn.verification_date
    TransactionStatusChange.objects.bulk_create(changes)  # first: the status trigger reads them
    TransactionToken.objects.filter(pk=txn.pk).update(
        status=txn.status, verification_date=txn.verification_date, updated_at=now
    )
    txn._stored = {"token": txn.token, "status": txn.status}
    return txn


def wallet_account_id(user) -> int:
    return PaymentProfile.objects.values_list("account_id", flat=True).get(user=user)


@transaction.atomic
def wallet_fund(*, user, amount: Decimal, funded_by=None, description: str = "") -> TransactionToken:
    """Move platform money into a wallet (staff funding, demo data, tests)."""
    funding = system_account(LedgerAccount.Kind.FUNDING)
    txn = transaction_open(
        sender=user,
        receiver=user,
        amount=amount,
        transaction_type=TransactionToken.Type.FUNDING,
        description=description or "Wallet funding",
        metadata={"funded_by": funded_by.pk} if funded_by else {},
    )
    return settle(txn, [Leg(funding.pk, -amount), Leg(wallet_account_id(user), amount)])
