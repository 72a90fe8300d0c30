"""The database's own floor for a transfer: pgbench (Debian's PostgreSQL server package ships it)
runs the bare SQL transfer with no Python in the loop, (1) on our schema with our triggers and
indexes, and (2) on minimal tables without triggers, foreign keys or secondary indexes, which shows
what our schema and triggers cost. Same clients, same random pairs among the funded users, same
warm-up and measured seconds as the other transfer paths.

The transfer is the one the psycopg path sends: both accounts locked FOR UPDATE in id order, both
balances and totals updated, the transaction and its two entries inserted, in one transaction.
pgbench computes nothing on the client, so the new balances come back with `UPDATE ... RETURNING`
and the transaction id with `INSERT ... RETURNING` (`\\gset`); one read of `bench_wallets` before
`BEGIN` turns the random indexes into user and account ids.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.infra import db
from bench.infra.stats import summary

PICK = r"""\set s random(1, :n)
\set r 1 + (:s - 1 + random(1, :n - 1)) % :n
\set cents random(1, 100)
SELECT s.user_id AS su, s.account_id AS sa, r.user_id AS ru, r.account_id AS ra
  FROM bench_wallets s, bench_wallets r WHERE s.idx = :s AND r.idx = :r \gset
"""

SCHEMA_SCRIPT = (
    PICK
    + r"""BEGIN;
SELECT id, balance, total_in, total_out FROM ledger_ledgeraccount WHERE id IN (:sa, :ra) ORDER BY id FOR UPDATE;
UPDATE ledger_ledgeraccount SET balance = balance - :cents / 100.0, total_out = total_out + :cents / 100.0
  WHERE id = :sa RETURNING balance AS sb \gset
UPDATE ledger_ledgeraccount SET balance = balance + :cents / 100.0, total_in = total_in + :cents / 100.0
  WHERE id = :ra RETURNING balance AS rb \gset
INSERT INTO ledger_transactiontoken (sender_id, receiver_id, amount, currency, token, payment_method,
  external_payment_provider, transaction_type, status, description, metadata, authorization_code,
  failure_reason, failure_code, created_at, updated_at)
  VALUES (:su, :ru, :cents / 100.0, 'USD', 'TXN-' || gen_random_uuid(), 'INTERNAL', '', 'TRANSFER', 'COMPLETED',
  '', '{}', '', '', '', now(), now()) RETURNING id AS txn \gset
INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, created_at)
  VALUES (:txn, :sa, -:cents / 100.0, :sb, now()), (:txn, :ra, :cents / 100.0, :rb, now());
END;
"""
)

MINIMAL_SCRIPT = (
    PICK
    + r"""BEGIN;
SELECT id, balance, total_in, total_out FROM bench_min_account WHERE id IN (:sa, :ra) ORDER BY id FOR UPDATE;
UPDATE bench_min_account SET balance = balance - :cents / 100.0, total_out = total_out + :cents / 100.0
  WHERE id = :sa RETURNING balance AS sb \gset
UPDATE bench_min_account SET balance = balance + :cents / 100.0, total_in = total_in + :cents / 100.0
  WHERE id = :ra RETURNING balance AS rb \gset
INSERT INTO bench_min_txn (sender_id, receiver_id, amount, token, created_at)
  VALUES (:su, :ru, :cents / 100.0, 'TXN-' || gen_random_uuid(), now()) RETURNING id AS txn \gset
INSERT INTO bench_min_entry (transaction_id, account_id, amount, balance_after, created_at)
  VALUES (:txn, :sa, -:cents / 100.0, :sb, now()), (:txn, :ra, :cents / 100.0, :rb, now());
END;
"""
)

MINIMAL_TABLES = """
DROP TABLE IF EXISTS bench_min_entry, bench_min_txn, bench_min_account;
CREATE TABLE bench_min_account (id BIGINT PRIMARY KEY, balance NUMERIC(14, 2) NOT NULL CHECK (balance >= 0),
    total_in NUMERIC(14, 2) NOT NULL, total_out NUMERIC(14, 2) NOT NULL);
CREATE TABLE bench_min_txn (id BIGSERIAL PRIMARY KEY, sender_id BIGINT NOT NULL, receiver_id BIGINT NOT NULL,
    amount NUMERIC(14, 2) NOT NULL, token VARCHAR(64) NOT NULL, created_at TIMESTAMPTZ NOT NULL);
CREATE TABLE bench_min_entry (id BIGSERIAL PRIMARY KEY, transaction_id BIGINT NOT NULL, account_id BIGINT NOT NULL,
    amount NUMERIC(14, 2) NOT NULL, balance_after NUMERIC(14, 2) NOT NULL, created_at TIMESTAMPTZ NOT NULL);
INSERT INTO bench_min_account SELECT id, balance, total_in, total_out FROM ledger_ledgeraccount
    WHERE id IN (SELECT account_id FROM bench_wallets);
"""


def available() -> bool:
    return shutil.which("pgbench") is not None


def prepare(target: db.Target, wallets) -> None:
    """bench_wallets(idx, user_id, account_id) for the pgbench scripts, and the minimal tables
    (balances copied from the wallets). Neither is a ledger table: verify_ledger does not see them."""
    import psycopg

    with psycopg.connect(db.psycopg_dsn(target), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_wallets")
        conn.execute("CREATE TABLE bench_wallets (idx INT PRIMARY KEY, user_id BIGINT, account_id BIGINT)")
        with conn.cursor() as cursor, cursor.copy("COPY bench_wallets FROM STDIN") as copy:
            for index, wallet in enumerate(wallets, 1):
                copy.write_row((index, wallet.user_id, wallet.account_id))
        conn.execute(MINIMAL_TABLES)
        conn.execute("ANALYZE bench_wallets")
        conn.execute("ANALYZE bench_min_account")


def run(target: db.Target, *, script: str, clients: int, seconds: int, warmup: int, users: int) -> dict:
    """pgbench for warmup + seconds with `clients` connections; the per-transaction log gives the
    transactions finished after the warm-up and their latencies (summary() figures, like the other
    paths)."""
    with tempfile.TemporaryDirectory(prefix="comrade-pgbench-") as tmp:
        script_path = Path(tmp) / "transfer.sql"
        script_path.write_text(script)
        command = ["pgbench", "-n", "-f", str(script_path), "-c", str(clients), "-j", str(min(clients, 2))]
        command += ["-T", str(warmup + seconds), "-D", f"n={users}", "-l", "--log-prefix", f"{tmp}/log"]
        command += [db.psycopg_dsn(target)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        rows = []
        for log in Path(tmp).glob("log.*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                # client_id transaction_no time_us script_no time_epoch time_us_fraction
                rows.append((int(parts[4]) + int(parts[5]) / 1e6, int(parts[2]) / 1e6))
    if not rows:
        raise RuntimeError(f"pgbench logged no transaction:\n{done.stdout}\n{done.stderr}")
    started = min(end - latency for end, latency in rows)
    measure_from, stop_at = started + warmup, started + warmup + seconds
    latencies = [latency for end, latency in rows if end - latency >= measure_from and end <= stop_at]
    figures = summary(latencies, seconds=seconds, errors=_failed(done.stdout))
    figures["clients"] = clients
    return figures


def _failed(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("number of failed transactions:"):
            return int(line.split(":")[1].split()[0])
    return 0
