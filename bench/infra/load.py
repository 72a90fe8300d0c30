"""Bulk loaders that write straight into the ledger tables with SQL and keep the ledger consistent.

Every movement is a COMPLETED transaction with its four audit rows and a balanced pair of entries
whose `balance_after` is the running balance of its account (a window function), and the cached
balances and totals are raised by exactly the sum of the new entries. Nothing edits a balance
without entries, so `manage.py verify_ledger` passes afterwards. Amounts are handled in whole
cents (integers) so that SQLite, which adds decimals as floats, cannot drift.

Runs in a process whose Django is configured for the target database (see db.setup_django).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

CHUNK = 200_000


@dataclass(frozen=True)
class Wallet:
    user_id: int
    account_id: int


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _ts(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _token_sql() -> str:
    if _pg():
        return "'TXN-' || gen_random_uuid()"
    h = "lower(hex(randomblob({})))"
    return (
        f"'TXN-' || {h.format(4)} || '-' || {h.format(2)} || '-4' || substr({h.format(2)}, 2) || '-' || "
        f"substr('89ab', 1 + abs(random() % 4), 1) || substr({h.format(2)}, 2) || '-' || {h.format(6)}"
    )


def _exec(cursor, sql: str, params=()) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


def _temp_table(cursor, name: str, columns: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns})")


def _numbers(cursor, count: int) -> None:
    """TEMP TABLE bench_n(n) holding 1..count."""
    _temp_table(cursor, "bench_n", "n BIGINT PRIMARY KEY")
    if _pg():
        cursor.execute("INSERT INTO bench_n SELECT generate_series(1, %s)", [count])
    else:
        cursor.executemany("INSERT INTO bench_n VALUES (%s)", [(i,) for i in range(1, count + 1)])


def _max_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])


def _plan_table(cursor) -> None:
    _temp_table(
        cursor,
        "bench_plan",
        "seq BIGINT PRIMARY KEY, sender_id BIGINT, receiver_id BIGINT, debit_account BIGINT, "
        "credit_account BIGINT, cents BIGINT, ttype VARCHAR(16), created_at " + ("TIMESTAMPTZ" if _pg() else "TEXT"),
    )


def post_plan(cursor, *, description: str, currency: str = "") -> int:
    """Turn the rows of TEMP TABLE bench_plan into COMPLETED transactions with their audit rows
    and balanced entries, and raise the account caches by the same amounts. Returns the count."""
    cursor.execute("SELECT COUNT(*) FROM bench_plan")
    count = int(cursor.fetchone()[0])
    if not count:
        return 0
    base_t = _max_id(cursor, "ledger_transactiontoken")
    base_s = _max_id(cursor, "ledger_transactionstatuschange")
    base_e = _max_id(cursor, "ledger_ledgerentry")
    _insert_transactions(cursor, base_t, description, currency or settings.DEFAULT_CURRENCY)
    _insert_status_changes(cursor, base_t, base_s)
    _insert_entries(cursor, base_t, base_e)
    _raise_caches(cursor)
    _sync_sequences(cursor)
    return count


def _insert_transactions(cursor, base_t: int, description: str, currency: str) -> None:
    cursor.execute(
        "INSERT INTO ledger_transactiontoken (id, sender_id, receiver_id, amount, currency, token, payment_method,"
        " external_payment_provider, transaction_type, status, description, metadata, authorization_code,"
        " verification_date, failure_reason, related_transaction_id, created_at, updated_at)"
        f" SELECT {base_t} + seq, sender_id, receiver_id, cents / 100.0, %s, {_token_sql()}, 'INTERNAL', '', ttype,"
        " 'COMPLETED', %s, '{}', '', created_at, '', NULL, created_at, created_at FROM bench_plan",
        [currency, description],
    )


def _insert_status_changes(cursor, base_t: int, base_s: int) -> None:
    steps = (
        "SELECT 1 AS k, '' AS from_s, 'PENDING' AS to_s UNION ALL SELECT 2, 'PENDING', 'AUTHORIZED'"
        " UNION ALL SELECT 3, 'AUTHORIZED', 'VERIFIED' UNION ALL SELECT 4, 'VERIFIED', 'COMPLETED'"
    )
    cursor.execute(
        "INSERT INTO ledger_transactionstatuschange (id, transaction_id, from_status, to_status, reason, created_at)"
        f" SELECT {base_s} + (p.seq - 1) * 4 + s.k, {base_t} + p.seq, s.from_s, s.to_s, '', p.created_at"
        f" FROM bench_plan p CROSS JOIN ({steps}) s"
    )


def _insert_entries(cursor, base_t: int, base_e: int) -> None:
    _temp_table(cursor, "bench_legs", "id BIGINT PRIMARY KEY, txn_id BIGINT, account_id BIGINT, cents BIGINT")
    cursor.execute(
        f"INSERT INTO bench_legs SELECT {base_e} + (seq - 1) * 2 + 1, {base_t} + seq, debit_account, -cents"
        f" FROM bench_plan UNION ALL SELECT {base_e} + (seq - 1) * 2 + 2, {base_t} + seq, credit_account, cents"
        " FROM bench_plan"
    )
    cursor.execute(
        "INSERT INTO ledger_ledgerentry (id, transaction_id, account_id, amount, balance_after, created_at)"
        " SELECT l.id, l.txn_id, l.account_id, l.cents / 100.0,"
        " (a.cents + SUM(l.cents) OVER (PARTITION BY l.account_id ORDER BY l.id ROWS UNBOUNDED PRECEDING)) / 100.0,"
        " t.created_at FROM bench_legs l"
        " JOIN (SELECT id, CAST(ROUND(balance * 100) AS BIGINT) AS cents FROM ledger_ledgeraccount) a"
        " ON a.id = l.account_id JOIN ledger_transactiontoken t ON t.id = l.txn_id"
    )


def _raise_caches(cursor) -> None:
    cents = "CAST(ROUND({} * 100) AS BIGINT)"
    cursor.execute(
        "UPDATE ledger_ledgeraccount SET"
        f" balance = ({cents.format('balance')} + d.net) / 100.0,"
        f" total_in = ({cents.format('total_in')} + d.cin) / 100.0,"
        f" total_out = ({cents.format('total_out')} + d.cout) / 100.0"
        " FROM (SELECT account_id, SUM(cents) AS net, SUM(CASE WHEN cents > 0 THEN cents ELSE 0 END) AS cin,"
        " SUM(CASE WHEN cents < 0 THEN -cents ELSE 0 END) AS cout FROM bench_legs GROUP BY account_id) d"
        " WHERE ledger_ledgeraccount.id = d.account_id"
    )


def _sync_sequences(cursor) -> None:
    if not _pg():
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    for table in ("ledger_transactiontoken", "ledger_transactionstatuschange", "ledger_ledgerentry"):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def _like(prefix: str) -> str:
    return f"{prefix}%@bench.local"


def ensure_users(*, prefix: str, count: int, cents: int) -> list[Wallet]:
    """`count` users `<prefix><n>@bench.local` (n = 1..count) with wallets, each funded once with
    `cents` from the platform's FUNDING account. Users that already exist are kept as they are."""
    from comrade.ledger.models import LedgerAccount
    from comrade.ledger.services import system_account

    now = _ts(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        funding = system_account(LedgerAccount.Kind.FUNDING).pk
        _numbers(cursor, count)
        cursor.execute(
            "INSERT INTO accounts_user (password, last_login, is_superuser, email, first_name, last_name, is_active,"
            " is_staff, date_joined) SELECT '!bench', NULL, FALSE, CAST(%s AS VARCHAR(64)) || CAST(n AS VARCHAR(20))"
            " || '@bench.local', 'Bench', CAST(%s AS VARCHAR(64)) || CAST(n AS VARCHAR(20)), TRUE, FALSE, %s"
            " FROM bench_n WHERE NOT EXISTS (SELECT 1 FROM accounts_user u"
            " WHERE u.email = CAST(%s AS VARCHAR(64)) || CAST(n AS VARCHAR(20)) || '@bench.local')",
            [prefix, prefix, now, prefix],
        )
        _open_wallets(cursor, prefix, now)
        _fund_unfunded(cursor, prefix, funding, cents, now)
    return wallets(prefix)


def _open_wallets(cursor, prefix: str, now) -> None:
    orphans = (
        "FROM accounts_user u LEFT JOIN ledger_paymentprofile p ON p.user_id = u.id"
        " WHERE p.id IS NULL AND u.email LIKE %s"
    )
    cursor.execute(
        "INSERT INTO ledger_ledgeraccount (kind, code, currency, allow_negative, balance, total_in, total_out,"
        f" created_at) SELECT 'WALLET', 'wallet:' || CAST(u.id AS VARCHAR(20)), %s, FALSE, 0, 0, 0, %s {orphans}",
        [settings.DEFAULT_CURRENCY, now, _like(prefix)],
    )
    cursor.execute(
        "INSERT INTO ledger_paymentprofile (user_id, account_id, payment_methods, default_payment_method,"
        " created_at, updated_at) SELECT u.id, a.id, '[]', '', %s, %s FROM accounts_user u"
        " JOIN ledger_ledgeraccount a ON a.code = 'wallet:' || CAST(u.id AS VARCHAR(20))"
        " LEFT JOIN ledger_paymentprofile p ON p.user_id = u.id WHERE p.id IS NULL AND u.email LIKE %s",
        [now, now, _like(prefix)],
    )


def _fund_unfunded(cursor, prefix: str, funding: int, cents: int, now) -> None:
    _plan_table(cursor)
    cursor.execute(
        "INSERT INTO bench_plan SELECT ROW_NUMBER() OVER (ORDER BY u.id), u.id, u.id, %s, a.id, %s, 'FUNDING', %s"
        " FROM accounts_user u JOIN ledger_paymentprofile p ON p.user_id = u.id"
        " JOIN ledger_ledgeraccount a ON a.id = p.account_id WHERE u.email LIKE %s AND a.total_in = 0",
        [funding, cents, now, _like(prefix)],
    )
    post_plan(cursor, description="Bench funding")


def wallets(prefix: str) -> list[Wallet]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id, p.account_id FROM accounts_user u JOIN ledger_paymentprofile p ON p.user_id = u.id"
            " WHERE u.email LIKE %s ORDER BY u.id",
            [_like(prefix)],
        )
        return [Wallet(user_id, account_id) for user_id, account_id in cursor.fetchall()]


def _users_table(cursor, users: list[Wallet]) -> None:
    _temp_table(cursor, "bench_u", "idx BIGINT PRIMARY KEY, user_id BIGINT, account_id BIGINT")
    cursor.executemany(
        "INSERT INTO bench_u VALUES (%s, %s, %s)", [(i, w.user_id, w.account_id) for i, w in enumerate(users, 1)]
    )


def load_history(*, users: list[Wallet], hot: Wallet, total: int, hot_count: int, spacing_seconds: int = 30) -> int:
    """`total` TRANSFER transactions among `users`, one in every total/hot_count of them to or from
    `hot` (alternately), 0.01-1.00 each, created `spacing_seconds` apart ending now. PostgreSQL."""
    if not _pg():
        raise RuntimeError("the history data set is loaded on PostgreSQL only")
    every = max(total // max(hot_count, 1), 1)
    start = timezone.now() - timedelta(seconds=spacing_seconds * total)
    loaded = 0
    with connection.cursor() as cursor:
        _users_table(cursor, users)
    for low in range(1, total + 1, CHUNK):
        high = min(low + CHUNK - 1, total)
        with transaction.atomic(), connection.cursor() as cursor:
            _history_plan(cursor, low, high, every, len(users), hot, start, spacing_seconds)
            loaded += post_plan(cursor, description="Bench history")
    return loaded


def _history_plan(cursor, low, high, every, user_count, hot: Wallet, start, spacing) -> None:
    _plan_table(cursor)
    cursor.execute(
        "INSERT INTO bench_plan SELECT p.n - %(low)s + 1,"
        " CASE p.hot WHEN 1 THEN %(hu)s ELSE su.user_id END,"
        " CASE p.hot WHEN 2 THEN %(hu)s WHEN 1 THEN su.user_id ELSE ru.user_id END,"
        " CASE p.hot WHEN 1 THEN %(ha)s ELSE su.account_id END,"
        " CASE p.hot WHEN 2 THEN %(ha)s WHEN 1 THEN su.account_id ELSE ru.account_id END,"
        " 1 + floor(random() * 100)::int, 'TRANSFER', %(start)s::timestamptz + p.n * %(spacing)s * interval '1 second'"
        " FROM (SELECT n, CASE WHEN n %% %(every)s = 0 THEN 1 + (n / %(every)s) %% 2 ELSE 0 END AS hot,"
        " 1 + r1 AS s_idx, 1 + (r1 + 1 + r2) %% %(users)s AS r_idx FROM (SELECT n,"
        " floor(random() * %(users)s)::int AS r1, floor(random() * (%(users)s - 1))::int AS r2"
        " FROM generate_series(%(low)s, %(high)s) AS n) z) p"
        " JOIN bench_u su ON su.idx = p.s_idx JOIN bench_u ru ON ru.idx = p.r_idx",
        {
            "low": low,
            "high": high,
            "every": every,
            "users": user_count,
            "hu": hot.user_id,
            "ha": hot.account_id,
            "start": start,
            "spacing": spacing,
        },
    )


ORDERS_PER_STATEMENT = 5_000


def load_standing_orders(*, users: list[Wallet], count: int, today) -> int:
    """`count` ACTIVE monthly orders due today at 00:00 UTC: user i pays user i+1 0.01-1.00.
    ORDERS_PER_STATEMENT rows per database transaction: pghistory's insert trigger runs pgtrigger's
    function, whose aborted subtransaction per row scans the transaction's queue of after-trigger
    events (the deferred foreign-key checks stay in it until COMMIT), so n orders in one transaction
    cost n^2 (100,000: 260 s in one statement, 127 s in statements of 5,000 in one transaction, 16 s
    in transactions of 5,000)."""
    now = _ts(timezone.now())
    due = _ts(datetime(today.year, today.month, today.day, tzinfo=UTC))
    loaded = 0
    with transaction.atomic(), connection.cursor() as cursor:
        _users_table(cursor, users)
        _numbers(cursor, count)
        if _pg():  # statistics, so that the planner hashes the temp tables instead of nested loops
            cursor.execute("ANALYZE bench_u")
            cursor.execute("ANALYZE bench_n")
    for low in range(1, count + 1, ORDERS_PER_STATEMENT):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO standing_orders_standingorder (user_id, recipient_id, group_id, amount, frequency,"
                " payment_method, description, start_date, end_date, status, status_reason, is_active,"
                " next_scheduled_for, next_execution, last_executed, created_at, updated_at)"
                " SELECT pu.user_id, pr.user_id, NULL, (1 + b.n %% 100) / 100.0, 'MONTHLY', 'INTERNAL',"
                " 'Bench order', %s, NULL, 'ACTIVE', '', TRUE, %s, %s, NULL, %s, %s FROM bench_n b"
                " JOIN bench_u pu ON pu.idx = 1 + (b.n - 1) %% %s JOIN bench_u pr ON pr.idx = 1 + b.n %% %s"
                " WHERE b.n BETWEEN %s AND %s",
                [today, today, due, now, now, len(users), len(users), low, low + ORDERS_PER_STATEMENT - 1],
            )
            loaded += cursor.rowcount
    return loaded
