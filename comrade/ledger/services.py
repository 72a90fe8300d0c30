"""The only code that writes ledger entries or changes a cached balance.

`post` is the primitive: it locks the accounts it touches in primary-key order (so two
transactions can never wait on each other in opposite orders), checks that no account that must
stay non-negative would go below zero, then updates the caches and appends the entries in the
caller's database transaction.

The hot path is measured (docs/performance.md): a lock, one UPDATE for every account's cache and
one INSERT for the entries (portable: SQLite >= 3.33 has UPDATE ... FROM). On PostgreSQL
`transaction_open_settled` is one call of the database function ledger_open_settled() (migration
ledger/0010), which this module alone calls, and batches send their rows as one JSON parameter
(comrade/core/bulk.py).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from comrade.core.bulk import any_of, column_values, insert_objects, insert_rows, inserted, json_default, pg_array
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
SETTLED = [Status.AUTHORIZED, Status.VERIFIED, Status.COMPLETED]  # after PENDING, for an internal payment


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: Decimal  # > 0 credits the account, < 0 debits it


INSUFFICIENT_FUNDS = "Insufficient balance"


def _shortfall(available, needed) -> str:
    return f"{INSUFFICIENT_FUNDS}: {available} available, {needed} needed."


class InsufficientFunds(ApplicationError):
    def __init__(self, account: LedgerAccount, needed: Decimal):
        super().__init__(
            "insufficient_funds",
            _shortfall(account.balance, needed),
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


def revenue_account(stream: str, *, payer_account_id: int) -> LedgerAccount:
    """The revenue shard of `stream` ("sales", "subscriptions") that a payer's money goes to:
    shard payer_account_id mod settings.LEDGER_REVENUE_SHARDS, so that payments by different
    payers do not queue on one row lock. Shard 0 is the historical `revenue:<stream>`; shard k is
    `revenue:<stream>:k`, created on first use. Readers sum every shard (ledger.selectors
    `revenue_total`), and a refund debits the account its sale credited, never "the" shard."""
    shard = payer_account_id % settings.LEDGER_REVENUE_SHARDS
    name = f"{stream}:{shard}" if shard else stream
    return system_account(LedgerAccount.Kind.REVENUE, name, allow_negative=False)


def failed_for_funds(txn: TransactionToken) -> bool:
    return txn.status == Status.FAILED and txn.failure_code == FailureCode.INSUFFICIENT_FUNDS


def lock_accounts(account_ids) -> dict[int, LedgerAccount]:
    ids = sorted(set(account_ids))
    return {a.pk: a for a in LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


@dataclass(slots=True)
class _BatchAccount:
    """What posting reads and moves of a locked account, for a batch: building a model instance
    per account cost a batch more than its funds checks."""

    pk: int
    code: str
    balance: Decimal
    total_in: Decimal
    total_out: Decimal
    allow_negative: bool


def _lock_for_posting(account_ids, *, light: bool = False) -> dict[int, LedgerAccount]:
    """Lock the accounts in primary-key order (FOR UPDATE; SQLite's writer lock is the database's)
    and read what posting needs, without the ORM's query building; `light`: as _BatchAccount."""
    where, params = any_of("id", sorted(set(account_ids)))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, code, balance, total_in, total_out, allow_negative FROM ledger_ledgeraccount"
            f" WHERE {where} ORDER BY id{lock}",
            params,
        )
        rows = cursor.fetchall()
    if light:
        return {
            row[0]: _BatchAccount(row[0], row[1], _money(row[2]), _money(row[3]), _money(row[4]), bool(row[5]))
            for row in rows
        }
    return {
        row[0]: LedgerAccount(
            id=row[0],
            code=row[1],
            balance=_money(row[2]),
            total_in=_money(row[3]),
            total_out=_money(row[4]),
            allow_negative=bool(row[5]),
        )
        for row in rows
    }


def _money(value) -> Decimal:
    """A NUMERIC(14, 2) as read by the driver (Decimal on PostgreSQL; int, float or str on SQLite)
    as a Decimal with two places."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _apply(txn: TransactionToken, accounts: dict[int, LedgerAccount], legs: Sequence[Leg]) -> list[LedgerEntry]:
    """Move the locked accounts by the legs: one UPDATE for every cache, one INSERT for the entries."""
    moved: dict[int, LedgerAccount] = {}
    move = _move_running(accounts, legs, moved)
    _write_caches(list(moved.values()))
    return LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=txn, account_id=account_id, amount=amount, balance_after=after)
        for account_id, amount, after in move
    )


def _check_balanced(legs: Sequence[Leg], what: str) -> None:
    if len(legs) < 2 or sum(leg.amount for leg in legs) != 0 or any(leg.amount == 0 for leg in legs):
        raise ValueError(f"Unbalanced or empty journal for {what}: {legs}")


def _check_journal(legs: Sequence[Leg], what: str) -> None:
    _check_balanced(legs, what)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post must run inside transaction.atomic()")


def post(*, txn: TransactionToken, legs: Sequence[Leg]) -> list[LedgerEntry]:
    """Append a balanced journal for `txn`. Raises InsufficientFunds before writing anything."""
    _check_journal(legs, txn.token)
    accounts = _lock_for_posting(leg.account_id for leg in legs)
    _check_funds(accounts, legs)
    return _apply(txn, accounts, legs)


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
    return _advance(txn, SETTLED)


def transaction_open_settled(*, legs: Sequence[Leg], **fields) -> TransactionToken:
    """`transaction_open` then `settle`, for an internal movement whose outcome is known at once (a
    transfer), atomic by itself: the accounts are locked in id order and the funds checked, then the
    transaction is written once with its outcome and its whole audit trail (PENDING, AUTHORIZED,
    VERIFIED, COMPLETED; or PENDING, FAILED with the reason and nothing moved), then the entries and
    the caches. On PostgreSQL that is one call of the database function ledger_open_settled()
    (migration ledger/0010), on SQLite a lock and four statements. What is stored is the same as
    with `transaction_open` + `settle`."""
    _check_balanced(legs, "a new transaction")
    fields.setdefault("idempotency_record_id", current_idempotency_record_id())
    if connection.vendor == "postgresql":
        head = [[leg.account_id for leg in legs], [leg.amount for leg in legs]]
        return _open_settled_in_one_call(OPEN_SETTLED_SQL, head, fields)[0]
    with transaction.atomic(savepoint=False):
        txn = _open_settled_step_by_step(legs, fields)
    structlog.contextvars.bind_contextvars(transaction_token=txn.token)
    return txn


def _open_settled_step_by_step(legs: Sequence[Leg], fields: dict) -> TransactionToken:
    accounts = _lock_for_posting(leg.account_id for leg in legs)
    try:
        _check_funds(accounts, legs)
    except InsufficientFunds as exc:
        fields.update(failure_reason=exc.message[:255], failure_code=FailureCode.INSUFFICIENT_FUNDS)
        txn = TransactionToken(status=Status.FAILED, **fields)
    else:
        txn = TransactionToken(status=Status.COMPLETED, verification_date=timezone.now(), **fields)
    txn.save(force_insert=True)
    trail = TransactionStatusChange.objects.bulk_create(_trail(txn))
    if txn.status == Status.COMPLETED:
        _apply(txn, accounts, legs)
    _known_new(txn, trail)
    return txn


class ReceiverRefused(Exception):
    """`transfer_open_settled` found no active receiver with a wallet ("unknown_receiver"), or the
    receiver is the sender ("self_transfer"); nothing was written."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


WALLETS_SQL = (
    "SELECT p.user_id, p.account_id FROM ledger_paymentprofile p JOIN accounts_user u ON u.id = p.user_id"
    " WHERE p.user_id IN (%s, %s) AND u.is_active"
)
TRANSFER_SQL = "SELECT * FROM ledger_transfer(%s, %s, %s::numeric, %s::jsonb, %s, %s)"


def transfer_open_settled(*, sender_id: int, receiver_id: int, amount: Decimal, **fields) -> TransactionToken:
    """`transaction_open_settled` from the sender's wallet to the receiver's, after checking the
    receiver: an active user with a wallet, not the sender (else ReceiverRefused, nothing written).
    On PostgreSQL the check and the transfer are one call of the database function
    ledger_transfer() (migration ledger/0011): one round trip per transfer."""
    fields.update(sender_id=sender_id, receiver_id=receiver_id, amount=amount)
    fields.setdefault("idempotency_record_id", current_idempotency_record_id())
    if connection.vendor == "postgresql":
        head = [sender_id, receiver_id, amount]
        return _open_settled_in_one_call(TRANSFER_SQL, head, fields, refused=ReceiverRefused)[0]
    sender_account, receiver_account = _wallets(sender_id, receiver_id)
    return transaction_open_settled(legs=[Leg(sender_account, -amount), Leg(receiver_account, amount)], **fields)


def _wallets(sender_id: int, receiver_id: int) -> tuple[int, int]:
    """The sender's and the receiver's wallet accounts in one query (raw SQL: on the hot path the
    ORM's building of it cost more than running it); the sender's also when inactive."""
    with connection.cursor() as cursor:
        cursor.execute(WALLETS_SQL, [sender_id, receiver_id])
        by_user = dict(cursor.fetchall())
    if receiver_id not in by_user:
        raise ReceiverRefused("unknown_receiver")
    if receiver_id == sender_id:
        raise ReceiverRefused("self_transfer")
    if sender_id not in by_user:
        return PaymentProfile.objects.values_list("account_id", flat=True).get(user_id=sender_id), by_user[receiver_id]
    return by_user[sender_id], by_user[receiver_id]


_TXN_FIELDS = [f for f in TransactionToken._meta.concrete_fields if not f.primary_key]
_TXN_COLUMNS = [f.column for f in _TXN_FIELDS]
OPEN_SETTLED_SQL = "SELECT * FROM ledger_open_settled(%s::bigint[], %s::numeric[], %s::jsonb, %s, %s)"


def _open_settled_in_one_call(
    sql: str, head: list, fields: dict, *, tail: Sequence = (), refused: type[Exception] | None = None
) -> tuple[TransactionToken, tuple]:
    """PostgreSQL: one statement, atomic by itself (no BEGIN and COMMIT round trips when the caller
    has no transaction open): `sql` with `head`, the transaction's row as JSON (its columns the
    model's, each as the ORM would store it), `tail`, and the insufficient-funds reason and code.
    The answer starts with the transaction's id, status, failure reason and code; with `refused`,
    its last column is a refusal code, raised as `refused(code)` when set (nothing was written).
    Returns the transaction and the answer's other columns."""
    txn = TransactionToken(status=Status.PENDING, **fields)
    row = {f.column: f.pre_save(txn, add=True) for f in _TXN_FIELDS}
    params = [*head, json.dumps(row, default=json_default), *tail, _shortfall("%s", "%s")]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, FailureCode.INSUFFICIENT_FUNDS])
        answer = cursor.fetchone()
    if refused is not None:
        answer, refusal = answer[:-1], answer[-1]
        if refusal:
            raise refused(refusal)
    txn_id, txn.status, txn.failure_reason, txn.failure_code = answer[:4]
    inserted(txn, txn_id)
    txn.verification_date = txn.created_at if txn.status == Status.COMPLETED else None
    txn._stored = {"token": txn.token, "status": txn.status}
    trail = _trail(txn)
    for change in trail:
        change.created_at = txn.created_at
    _known_new(txn, trail)
    structlog.contextvars.bind_contextvars(transaction_token=txn.token)
    return txn, answer[4:]


def _trail(txn: TransactionToken) -> list[TransactionStatusChange]:
    return [
        TransactionStatusChange(transaction=txn, from_status=old, to_status=new, reason=reason)
        for old, new, reason in _trail_steps(txn)
    ]


def _known_new(txn: TransactionToken, trail: list[TransactionStatusChange]) -> None:
    """What is known of a transaction this function just inserted, so that answering with it reads
    nothing again: its audit trail is `trail` (txn.status_changes.all() returns it) and no row of
    another table points at it yet (a reverse one-to-one such as `external` is None)."""
    queryset = txn.status_changes.all()  # builds the queryset, reads nothing
    queryset._result_cache = list(trail)
    queryset._prefetch_done = True
    txn._prefetched_objects_cache = {"status_changes": queryset}
    for relation in txn._meta.related_objects:
        if relation.one_to_one:
            relation.set_cached_value(txn, None)


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


def transactions_open_settled_many(items: Sequence[tuple[Sequence[Leg], dict]]) -> list[TransactionToken]:
    """`transaction_open_settled(legs=legs, **fields)` for every (legs, fields) of `items`, in that
    order, in far fewer statements (a scheduler paying hundreds of standing orders at once).

    Every account the batch touches is locked once, in primary-key order. The items are walked in
    order against running balances: one that would take an account that must stay non-negative
    below zero is written FAILED with the insufficient-funds reason and code and moves nothing,
    and the items after it go on. Then the transactions, their audit trails and the entries are
    inserted in bulk (`balance_after` is the running balance) and every cache is set in one UPDATE:
    on PostgreSQL all of it in one statement (`_batch_write_in_one_statement`). What is stored per
    transaction is what `transaction_open_settled` stores (one timestamp for the batch); unlike it, no
    token is bound to the log context (a batch has many) and the transactions returned read their audit
    trail from the database. Must run inside transaction.atomic(); returns the transactions in the order
    of `items`."""
    if not items:
        return []
    for legs, _fields in items:
        _check_journal(legs, "a new transaction")
    accounts = _lock_for_posting((leg.account_id for legs, _fields in items for leg in legs), light=True)
    record_id = current_idempotency_record_id()
    now = timezone.now()
    txns, moves, moved = [], [], {}
    for legs, fields in items:
        fields = {"idempotency_record_id": record_id, **fields}
        try:
            _check_funds(accounts, legs)
        except InsufficientFunds as exc:
            fields.update(failure_reason=exc.message[:255], failure_code=FailureCode.INSUFFICIENT_FUNDS)
            txns.append(TransactionToken(status=Status.FAILED, **fields))
            moves.append([])
            continue
        txns.append(TransactionToken(status=Status.COMPLETED, verification_date=now, **fields))
        moves.append(_move_running(accounts, legs, moved))
    if connection.vendor == "postgresql":
        _batch_write_in_one_statement(txns, moves, list(moved.values()), now)
    else:
        _batch_write_step_by_step(txns, moves, list(moved.values()), now)
    for txn in txns:
        txn._stored = {"token": txn.token, "status": txn.status}
    return txns


def _batch_write_step_by_step(txns: list[TransactionToken], moves: list, moved: list[LedgerAccount], now) -> None:
    """The batch's rows on SQLite: the transactions, their audit trails, the entries, the caches."""
    insert_objects(txns)
    stamp = connection.ops.adapt_datetimefield_value(now)
    insert_rows(
        "ledger_transactionstatuschange",
        ["transaction_id", "from_status", "to_status", "reason", "created_at"],
        [(txn.pk, *step, stamp) for txn in txns for step in _trail_steps(txn)],
    )
    insert_rows(
        "ledger_ledgerentry",
        ["transaction_id", "account_id", "amount", "balance_after", "created_at"],
        [(txn.pk, *leg, stamp) for txn, move in zip(txns, moves, strict=True) for leg in move],
    )
    _write_caches(moved)


BATCH_WRITE_SQL = """
WITH t AS (
    INSERT INTO ledger_transactiontoken ({columns})
    SELECT {columns} FROM jsonb_populate_recordset(NULL::ledger_transactiontoken, %(txns)s::jsonb)
    RETURNING id, token, status, failure_reason
), n AS (
    SELECT t.id, t.status, t.failure_reason, i.n
    FROM t JOIN unnest(%(tokens)s::text[]) WITH ORDINALITY AS i(token, n) ON i.token = t.token
), trail AS (
    INSERT INTO ledger_transactionstatuschange (transaction_id, from_status, to_status, reason, created_at)
    SELECT n.id, s.from_status, s.to_status, CASE WHEN s.to_status = %(failed)s THEN n.failure_reason ELSE '' END,
        %(now)s
    FROM n CROSS JOIN LATERAL unnest(
        CASE WHEN n.status = %(failed)s THEN %(failed_from)s::text[] ELSE %(settled_from)s::text[] END,
        CASE WHEN n.status = %(failed)s THEN %(failed_to)s::text[] ELSE %(settled_to)s::text[] END
    ) WITH ORDINALITY AS s(from_status, to_status, k)
    ORDER BY n.n, s.k
), entries AS (
    INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, created_at)
    SELECT n.id, l.account_id, l.amount, l.balance_after, %(now)s
    FROM unnest(%(items)s::int[], %(accounts)s::bigint[], %(amounts)s::numeric[], %(afters)s::numeric[])
        WITH ORDINALITY AS l(item, account_id, amount, balance_after, k)
    JOIN n ON n.n = l.item
    ORDER BY l.k
), caches AS (
    UPDATE ledger_ledgeraccount a SET balance = v.balance, total_in = v.total_in, total_out = v.total_out
    FROM unnest(%(ids)s::bigint[], %(balances)s::numeric[], %(ins)s::numeric[], %(outs)s::numeric[])
        AS v(id, balance, total_in, total_out)
    WHERE a.id = v.id
    RETURNING a.id
)
SELECT n.id, (SELECT count(*) FROM caches) FROM n ORDER BY n.n
""".format(columns=", ".join(f.column for f in _TXN_FIELDS))


def _batch_write_in_one_statement(txns: list[TransactionToken], moves: list, moved: list[LedgerAccount], now) -> None:
    """The batch's rows on PostgreSQL in one statement (data-modifying CTEs): the transactions
    from one JSON parameter (their columns as the ORM would store them), the audit trails derived
    from each one's status, the entries and the caches from arrays. The same rows as
    `_batch_write_step_by_step`, in the same order."""
    legs = [(n, *leg) for n, move in enumerate(moves, start=1) for leg in move]
    params = {
        "txns": json.dumps(
            [dict(zip(_TXN_COLUMNS, row, strict=True)) for row in column_values(txns, _TXN_FIELDS, now=now)],
            default=json_default,
        ),
        "tokens": [txn.token for txn in txns],
        "now": now,
        "failed": Status.FAILED,
        "failed_from": ["", Status.PENDING],
        "failed_to": [Status.PENDING, Status.FAILED],
        "settled_from": ["", Status.PENDING, *SETTLED[:-1]],
        "settled_to": [Status.PENDING, *SETTLED],
        "items": pg_array(leg[0] for leg in legs),
        "accounts": pg_array(leg[1] for leg in legs),
        "amounts": pg_array(leg[2] for leg in legs),
        "afters": pg_array(leg[3] for leg in legs),
        "ids": pg_array(a.pk for a in moved),
        "balances": pg_array(a.balance for a in moved),
        "ins": pg_array(a.total_in for a in moved),
        "outs": pg_array(a.total_out for a in moved),
    }
    with connection.cursor() as cursor:
        cursor.execute(BATCH_WRITE_SQL, params)
        rows = cursor.fetchall()
    if len(rows) != len(txns) or (rows and rows[0][1] != len(moved)):
        raise RuntimeError(f"a batch of {len(txns)} transactions wrote {len(rows)}, {rows[:1]} account caches")
    for txn, row in zip(txns, rows, strict=True):
        inserted(txn, row[0])


def _move_running(
    accounts: dict[int, LedgerAccount], legs: Sequence[Leg], moved: dict[int, LedgerAccount]
) -> list[tuple[int, Decimal, Decimal]]:
    """Move the locked accounts by the legs in memory; the (account, amount, balance after) of each leg."""
    move = []
    for leg in legs:
        account = accounts[leg.account_id]
        account.balance += leg.amount
        if leg.amount > 0:
            account.total_in += leg.amount
        else:
            account.total_out -= leg.amount
        moved[account.pk] = account
        move.append((account.pk, leg.amount, account.balance))
    return move


def _trail_steps(txn: TransactionToken) -> list[tuple[str, str, str]]:
    """The audit trail of a transaction opened and settled at once: PENDING, then AUTHORIZED,
    VERIFIED, COMPLETED, or FAILED with the reason, as (from, to, reason)."""
    steps = [Status.PENDING, *([Status.FAILED] if txn.status == Status.FAILED else SETTLED)]
    return [
        (old, new, txn.failure_reason if new == Status.FAILED else "")
        for old, new in zip(["", *steps], steps, strict=False)
    ]


CACHE_CHUNK = 1000


def _write_caches(accounts: list[LedgerAccount]) -> None:
    """Set the cached balance and totals of the accounts: on PostgreSQL one UPDATE ... FROM
    unnest(arrays), elsewhere one UPDATE ... FROM (VALUES ...) per CACHE_CHUNK accounts (SQLite
    bounds the number of parameters)."""
    if connection.vendor == "postgresql" and accounts:
        columns = [pg_array(a.pk for a in accounts), pg_array(a.balance for a in accounts)]
        columns += [pg_array(a.total_in for a in accounts), pg_array(a.total_out for a in accounts)]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_ledgeraccount a SET balance = v.balance, total_in = v.total_in, total_out = v.total_out"
                " FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[])"
                " AS v(id, balance, total_in, total_out) WHERE a.id = v.id",
                columns,
            )
            if cursor.rowcount != len(accounts):
                raise RuntimeError(f"updated {cursor.rowcount} of {len(accounts)} ledger accounts in a batch")
        return
    for start in range(0, len(accounts), CACHE_CHUNK):
        chunk = accounts[start : start + CACHE_CHUNK]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params = [v for a in chunk for v in (a.pk, a.balance, a.total_in, a.total_out)]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_ledgeraccount SET balance = v.column2, total_in = v.column3, total_out = v.column4"
                f" FROM (VALUES {values}) AS v WHERE ledger_ledgeraccount.id = v.column1",
                params,
            )
            if cursor.rowcount != len(chunk):
                raise RuntimeError(f"updated {cursor.rowcount} of {len(chunk)} ledger accounts in a batch")


def lock_free_accounts(account_ids) -> set[int]:
    """Lock, without waiting, those of the accounts that no other database transaction holds
    (FOR UPDATE SKIP LOCKED, in primary-key order) and return their ids, so that a batch can leave
    the work on the others for later instead of queueing behind them. On SQLite (no row locks;
    the database's writer lock is already held) all of them."""
    ids = sorted(set(account_ids))
    if not ids or not connection.features.has_select_for_update_skip_locked:
        return set(ids)
    where, params = any_of("id", ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ledger_ledgeraccount WHERE {where} ORDER BY id FOR UPDATE SKIP LOCKED", params)
        return {row[0] for row in cursor.fetchall()}


class PurchaseRefused(Exception):
    """`purchase_open_settled` wrote nothing: the step-by-step path would refuse the purchase
    ("unknown_buyer", "not_for_sale", "tier_limit", "no_wallet") or must run to create what is
    missing ("no_revenue_account": the wallet's revenue shard is created on first use)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


PURCHASE_SQL = (
    "SELECT * FROM ledger_purchase(%s, %s, %s, %s::numeric, %s::jsonb, %s, %s::timestamptz, %s, %s,"
    " %s::jsonb, %s::jsonb, %s, %s)"
)


def purchase_open_settled(
    *, purchase, stream: str, tiers: dict, default_tier: str, since, **fields
) -> TransactionToken:
    """PostgreSQL: a wallet purchase in one call of the database function ledger_purchase()
    (migration ledger/0012). It locks the buyer's user row (FOR NO KEY UPDATE) and what is bought
    (FOR SHARE), checks that it is for sale and the buyer's tier limits (`tiers`: tier name ->
    [max amount, max purchases since `since`], None for no limit; `default_tier` without an ACTIVE
    subscription), then writes what `transaction_open_settled` writes for the legs (buyer's wallet
    -> its `revenue_account(stream)` shard) and, when that completes, `purchase`: an unsaved row of
    the purchase model (buyer, product or payment item, quantity, prices), whose id and transaction
    are set here. Raises PurchaseRefused, having written nothing, for what the caller's
    step-by-step path must decide. Returns the transaction (COMPLETED, or FAILED for insufficient
    funds with `purchase` left unsaved)."""
    fields.setdefault("idempotency_record_id", current_idempotency_record_id())
    purchase_row = {
        f.column: f.pre_save(purchase, add=True) for f in purchase._meta.concrete_fields if not f.primary_key
    }
    head = [purchase.buyer_id, purchase.product_id, purchase.payment_item_id, fields["amount"]]
    head += [json.dumps(tiers, default=json_default), default_tier, since]
    head += [_purchase_revenue_code(stream), settings.LEDGER_REVENUE_SHARDS]
    tail = [json.dumps(purchase_row, default=json_default)]
    txn, (purchase_id,) = _open_settled_in_one_call(PURCHASE_SQL, head, fields, tail=tail, refused=PurchaseRefused)
    if purchase_id is not None:
        inserted(purchase, purchase_id)
        purchase.transaction = txn  # and txn.purchase, as the ORM's create does
    return txn


def _purchase_revenue_code(stream: str) -> str:
    """The code of shard 0 of `stream`'s revenue accounts (`revenue_account`, `system_account`);
    shard k's is this code + ":k"."""
    return f"{LedgerAccount.Kind.REVENUE.lower()}:{stream}"
