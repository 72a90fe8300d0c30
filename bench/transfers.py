"""Benchmark 1: internal transfers among the funded users, N concurrent clients.

(a) HTTP against gunicorn (POST /payments/transactions/create_transaction/ with a JWT), with an
    Idempotency-Key on every request as real clients send (`http_with_key`, the figure the goals
    are set on) and without one (`http_without_key`); on PostgreSQL also one client alone
    (`http_single`) for the latency of one request,
(b) the service layer (transfer_create) in N processes,
(c) the same movement as one bare SQL transaction sent from N Python processes (lock both
    accounts in id order, update both balances and totals, insert the transaction and its two
    entries): `python_sql` (psycopg on PostgreSQL, sqlite3 on SQLite); on PostgreSQL it is capped
    by its Python clients, so it is not the database's limit,
(d) PostgreSQL only, the database's floor: the same transfer with pgbench (bench/pgbench.py) on our
    schema with our triggers (`pgbench_schema`, also with one client: `pgbench_schema_single`) and
    on minimal tables without triggers (`pgbench_minimal`).

Every ratio is named for what it is over: `service_over_pgbench_floor` is the service layer's
transfers/s over pgbench's on our schema, and so on.

    python -m bench.transfers [postgresql|sqlite]
"""

import http.client
import json
import os
import sqlite3
import sys
import uuid
from decimal import Decimal

from bench import pgbench
from bench.infra import db
from bench.infra.clients import Refused, run_clients
from bench.infra.knobs import Knobs
from bench.infra.phase import emit, log, prepare, target_for
from bench.infra.server import Server, bearer_tokens
from bench.infra.stats import ratio

URL = "/payments/transactions/create_transaction/"
# The cheapest authenticated request: JWT and its user query, throttles, the whole middleware stack
# and a small answer, no money. What the server can do at best with any request (`http_no_money`).
NO_MONEY_URL = "/payments/providers/"


def _pair(rng, wallets):
    sender, receiver = rng.sample(range(len(wallets)), 2)
    return wallets[sender], wallets[receiver], rng.randint(1, 100)


def http_run(target, knobs: Knobs, wallets, *, with_key: bool, clients: int | None = None, money: bool = True) -> dict:
    """The clients are http.client on one connection each (reopened after every answer: gunicorn's
    sync workers close it), not requests: on 2 shared cores a heavier client's own CPU would be
    counted against the server (pgbench's client is C). `money=False`: the same clients and tokens
    send GET NO_MONEY_URL instead of a transfer."""
    tokens = bearer_tokens(w.user_id for w in wallets)

    def make(index):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

        def transfer(rng):
            sender, receiver, cents = _pair(rng, wallets)
            body = json.dumps(
                {
                    "receiver_id": receiver.user_id,
                    "amount": f"{Decimal(cents) / 100:.2f}",
                    "payment_method": "INTERNAL",
                    "transaction_type": "TRANSFER",
                }
            )
            headers = {"Authorization": f"Bearer {tokens[sender.user_id]}", "Content-Type": "application/json"}
            if with_key:
                headers["Idempotency-Key"] = f"bench-{index}-{uuid.uuid4()}"
            if money:
                connection.request("POST", URL, body, headers)
            else:
                connection.request("GET", NO_MONEY_URL, headers=headers)
            response = connection.getresponse()
            text = response.read()
            if response.status != (201 if money else 200):
                raise Refused(f"{response.status} {text[:200]!r}")

        return transfer

    with Server(target, port=knobs.port, workers=knobs.workers, conn_max_age=knobs.conn_max_age) as server:
        figures = run_clients(make, clients=clients or knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup)
    figures.update(workers=knobs.workers, conn_max_age=knobs.conn_max_age, idempotency_key=with_key)
    return figures


def service_run(knobs: Knobs, wallets, *, clients: int | None = None) -> dict:
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

    return run_clients(make, clients=clients or knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup)


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


def _paths(target, knobs: Knobs, wallets) -> list:
    paths = [
        ("http_with_key", lambda: http_run(target, knobs, wallets, with_key=True)),
        ("http_without_key", lambda: http_run(target, knobs, wallets, with_key=False)),
        ("service", lambda: service_run(knobs, wallets)),
        ("python_sql", lambda: sql_run(target, knobs, wallets)),
    ]
    if target.vendor != "postgresql":
        return paths
    if not pgbench.available():
        log("pgbench is not installed: no database floor (Debian: postgresql-15 ships it)")
        return paths
    pgbench.prepare(target, wallets)

    def pg(script, clients):
        return lambda: pgbench.run(
            target, script=script, clients=clients, seconds=knobs.seconds, warmup=knobs.warmup, users=len(wallets)
        )

    return [
        ("pgbench_schema", pg(pgbench.SCHEMA_SCRIPT, knobs.clients)),
        ("pgbench_minimal", pg(pgbench.MINIMAL_SCRIPT, knobs.clients)),
        *paths,
        ("http_no_money", lambda: http_run(target, knobs, wallets, with_key=False, money=False)),
        ("http_single", lambda: http_run(target, knobs, wallets, with_key=True, clients=1)),
        ("http_no_money_single", lambda: http_run(target, knobs, wallets, with_key=False, clients=1, money=False)),
        ("pgbench_schema_single", pg(pgbench.SCHEMA_SCRIPT, 1)),
    ]


RATIOS = [
    # (key, numerator path, denominator path, figure): per_second unless p50_ms
    ("service_over_pgbench_floor", "service", "pgbench_schema", "per_second"),
    ("http_over_pgbench_floor", "http_with_key", "pgbench_schema", "per_second"),
    ("http_without_key_over_pgbench_floor", "http_without_key", "pgbench_schema", "per_second"),
    ("http_with_key_over_without", "http_with_key", "http_without_key", "per_second"),
    ("psycopg_over_pgbench_floor", "python_sql", "pgbench_schema", "per_second"),
    ("pgbench_schema_over_minimal", "pgbench_schema", "pgbench_minimal", "per_second"),
    ("http_single_p50_over_pgbench_single_p50", "http_single", "pgbench_schema_single", "p50_ms"),
    # The ceiling of any HTTP path on this server and machine: a request that moves no money.
    ("http_no_money_over_pgbench_floor", "http_no_money", "pgbench_schema", "per_second"),
    ("http_over_http_no_money", "http_with_key", "http_no_money", "per_second"),
    ("http_no_money_single_p50_over_pgbench_single_p50", "http_no_money_single", "pgbench_schema_single", "p50_ms"),
    ("service_over_python_sql", "service", "python_sql", "per_second"),
    ("http_over_python_sql", "http_with_key", "python_sql", "per_second"),
]


def ratios(result: dict) -> dict:
    return {
        key: ratio(result[top][figure], result[bottom][figure])
        for key, top, bottom, figure in RATIOS
        if top in result and bottom in result
    }


def main() -> None:
    knobs = Knobs()
    vendor = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
    target = target_for(vendor, knobs)
    wallets = prepare(target, knobs)
    result = {"database": target.label, "users": len(wallets), "clients": knobs.clients, "seconds": knobs.seconds}
    only = [p for p in os.environ.get("BENCH_TRANSFER_PATHS", "").split(",") if p]
    for name, run in _paths(target, knobs, wallets):
        if only and name not in only:
            continue
        log(f"{target.label} transfers: {name} for {knobs.seconds}s")
        result[name] = run()
        log(f"  {result[name]['per_second']} transfers/s, p50 {result[name]['p50_ms']} ms")
    result["ratios"] = ratios(result)
    for key, value in result["ratios"].items():
        log(f"  {key}: {value}")
    result["ledger"] = db.verify_ledger(target)
    emit(result)


if __name__ == "__main__":
    main()
