"""Benchmark 1: internal transfers among the funded users, N concurrent clients.

(a) HTTP against gunicorn (POST /payments/transactions/create_transaction/ with a JWT),
(b) the service layer (transfer_create) in N processes,
(c) the floor: the same movement as one bare SQL transaction (lock both accounts in id order,
    update both balances and totals, insert the transaction and its two entries).

    python -m bench.transfers [postgresql|sqlite]
"""

import sqlite3
import sys
import uuid
from decimal import Decimal

import requests

from bench.infra import db
from bench.infra.clients import Refused, run_clients
from bench.infra.knobs import Knobs
from bench.infra.phase import emit, log, prepare, target_for
from bench.infra.server import Server, bearer_tokens
from bench.infra.stats import ratio

URL = "/payments/transactions/create_transaction/"


def _pair(rng, wallets):
    sender, receiver = rng.sample(range(len(wallets)), 2)
    return wallets[sender], wallets[receiver], rng.randint(1, 100)


def http_run(target, knobs: Knobs, wallets) -> dict:
    tokens = bearer_tokens(w.user_id for w in wallets)

    def make(_index):
        session = requests.Session()
        url = server.base_url + URL

        def transfer(rng):
            sender, receiver, cents = _pair(rng, wallets)
            body = {
                "receiver_id": receiver.user_id,
                "amount": f"{Decimal(cents) / 100:.2f}",
                "payment_method": "INTERNAL",
                "transaction_type": "TRANSFER",
            }
            headers = {"Authorization": f"Bearer {tokens[sender.user_id]}"}
            response = session.post(url, json=body, headers=headers, timeout=60)
            if response.status_code != 201:
                raise Refused(f"{response.status_code} {response.text[:200]}")

        return transfer

    with Server(target, port=knobs.port, workers=knobs.workers, conn_max_age=knobs.conn_max_age) as server:
        figures = run_clients(make, clients=knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup)
    figures.update(workers=knobs.workers, conn_max_age=knobs.conn_max_age)
    return figures


def service_run(knobs: Knobs, wallets) -> dict:
    def make(_index):
        from comrade.accounts.models import User
        from comrade.transfers.services import transfer_create

        def transfer(rng):
            sender, receiver, cents = _pair(rng, wallets)
            txn = transfer_create(
                sender=User(pk=sender.user_id), receiver_id=receiver.user_id, amount=Decimal(cents) / 100
            )
            if txn.status != "COMPLETED":
                raise Refused(f"{txn.status} {txn.failure_reason}")

        return transfer

    return run_clients(make, clients=knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup)


SQL_LOCK = "SELECT id, balance, total_in, total_out FROM ledger_ledgeraccount WHERE id IN ({a}, {b}) ORDER BY id{lock}"
SQL_ACCOUNT = "UPDATE ledger_ledgeraccount SET balance = {p}, total_in = {p}, total_out = {p} WHERE id = {p}"
SQL_TXN = (
    "INSERT INTO ledger_transactiontoken (sender_id, receiver_id, amount, currency, token, payment_method,"
    " external_payment_provider, transaction_type, status, description, metadata, authorization_code,"
    " failure_reason, created_at, updated_at) VALUES ({p}, {p}, {p}, 'USD', {p}, 'INTERNAL', '', 'TRANSFER',"
    " 'COMPLETED', '', '{{}}', '', '', {now}, {now}) RETURNING id"
)
SQL_ENTRIES = (
    "INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, created_at)"
    " VALUES ({p}, {p}, {p}, {p}, {now}), ({p}, {p}, {p}, {p}, {now})"
)


def _bare_transfer(execute, sender, receiver, amount: Decimal, p: str, now: str, lock: str) -> None:
    """The floor: one transaction, both rows locked in id order (FOR UPDATE; on SQLite BEGIN IMMEDIATE
    has already taken the database's write lock), both balances and totals updated (computed in
    Decimal, as the ledger does, so SQLite's float arithmetic cannot creep in), the transaction and
    its two entries inserted. `execute(sql, params)` returns the rows."""
    low, high = sorted((sender.account_id, receiver.account_id))
    rows = execute(SQL_LOCK.format(a=low, b=high, lock=lock), [])
    accounts = {row[0]: [Decimal(str(v)) for v in row[1:]] for row in rows}
    debit, credit = accounts[sender.account_id], accounts[receiver.account_id]
    if debit[0] < amount:
        raise Refused("insufficient funds")
    debit[0], debit[2] = debit[0] - amount, debit[2] + amount
    credit[0], credit[1] = credit[0] + amount, credit[1] + amount
    execute(SQL_ACCOUNT.format(p=p), [*debit, sender.account_id])
    execute(SQL_ACCOUNT.format(p=p), [*credit, receiver.account_id])
    token = f"TXN-{uuid.uuid4()}"
    txn_id = execute(SQL_TXN.format(p=p, now=now), [sender.user_id, receiver.user_id, amount, token])[0][0]
    execute(
        SQL_ENTRIES.format(p=p, now=now),
        [txn_id, sender.account_id, -amount, debit[0], txn_id, receiver.account_id, amount, credit[0]],
    )


def sql_run(target, knobs: Knobs, wallets) -> dict:
    if target.vendor == "postgresql":
        return run_clients(
            _pg_floor(target, wallets), clients=knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup
        )
    return run_clients(
        _sqlite_floor(target, wallets), clients=knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup
    )


def _rows(cursor) -> list:
    return cursor.fetchall() if cursor.description else []


def _pg_floor(target, wallets):
    def make(_index):
        import psycopg

        conn = psycopg.connect(db.psycopg_dsn(target))

        def transfer(rng):
            sender, receiver, cents = _pair(rng, wallets)
            with conn.transaction():
                _bare_transfer(
                    lambda sql, params: _rows(conn.execute(sql, params)),
                    sender,
                    receiver,
                    Decimal(cents) / 100,
                    "%s",
                    "now()",
                    " FOR UPDATE",
                )

        return transfer

    return make


def _sqlite_floor(target, wallets):
    path = target.url.removeprefix("sqlite:///")

    def make(_index):
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")

        def execute(sql, params):
            return _rows(conn.execute(sql, [str(v) if isinstance(v, Decimal) else v for v in params]))

        def transfer(rng):
            sender, receiver, cents = _pair(rng, wallets)
            conn.execute("BEGIN IMMEDIATE")
            try:
                _bare_transfer(execute, sender, receiver, Decimal(cents) / 100, "?", "datetime('now')", "")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        return transfer

    return make


def main() -> None:
    knobs = Knobs()
    vendor = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
    target = target_for(vendor, knobs)
    wallets = prepare(target, knobs)
    result = {"database": target.label, "users": len(wallets), "clients": knobs.clients, "seconds": knobs.seconds}
    for name, run in (
        ("http", lambda: http_run(target, knobs, wallets)),
        ("service", lambda: service_run(knobs, wallets)),
        ("sql", lambda: sql_run(target, knobs, wallets)),
    ):
        log(f"{target.label} transfers: {name} with {knobs.clients} clients for {knobs.seconds}s")
        result[name] = run()
        log(f"  {result[name]['per_second']} transfers/s, p50 {result[name]['p50_ms']} ms")
    result["http_vs_sql"] = ratio(result["http"]["per_second"], result["sql"]["per_second"])
    result["service_vs_sql"] = ratio(result["service"]["per_second"], result["sql"]["per_second"])
    result["ledger"] = db.verify_ledger(target)
    emit(result)


if __name__ == "__main__":
    main()
