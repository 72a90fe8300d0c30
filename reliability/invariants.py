"""Money invariants read straight from the database with SQL, independent of the code under test.
Each returns (figures, violations)."""

from decimal import Decimal

from bench.infra import db

CHECKS = {
    "ledger_total_not_zero": (
        "SELECT COALESCE(SUM(balance), 0) FROM ledger_ledgeraccount HAVING COALESCE(SUM(balance), 0) <> 0"
    ),
    "negative_balances": "SELECT code, balance FROM ledger_ledgeraccount WHERE NOT allow_negative AND balance < 0",
    "completed_without_balanced_journal": (
        "SELECT t.id, COUNT(e.id), COALESCE(SUM(e.amount), 0) FROM ledger_transactiontoken t"
        " LEFT JOIN ledger_ledgerentry e ON e.transaction_id = t.id WHERE t.status = 'COMPLETED'"
        " GROUP BY t.id HAVING COUNT(e.id) < 2 OR COALESCE(SUM(e.amount), 0) <> 0"
    ),
    "internal_unfinished_with_entries": (
        "SELECT t.id, t.status FROM ledger_transactiontoken t WHERE t.payment_method = 'INTERNAL'"
        " AND t.status IN ('PENDING', 'FAILED', 'CANCELLED')"
        " AND EXISTS (SELECT 1 FROM ledger_ledgerentry e WHERE e.transaction_id = t.id)"
    ),
    "internal_stuck_mid_flow": (
        "SELECT id, status FROM ledger_transactiontoken WHERE payment_method = 'INTERNAL'"
        " AND status IN ('AUTHORIZED', 'VERIFIED')"
    ),
    "holding_not_equal_to_held_withdrawals": (
        "SELECT h.balance, COALESCE((SELECT SUM(t.amount) FROM ledger_transactiontoken t"
        " JOIN gateways_externalpayment p ON p.transaction_id = t.id"
        " WHERE p.direction = 'OUT' AND t.status = 'AUTHORIZED'), 0) AS held"
        " FROM ledger_ledgeraccount h WHERE h.kind = 'HOLDING'"
        " AND h.balance <> COALESCE((SELECT SUM(t.amount) FROM ledger_transactiontoken t"
        " JOIN gateways_externalpayment p ON p.transaction_id = t.id"
        " WHERE p.direction = 'OUT' AND t.status = 'AUTHORIZED'), 0)"
    ),
}
FIGURES = {
    "accounts": "SELECT COUNT(*) FROM ledger_ledgeraccount",
    "transactions": "SELECT COUNT(*) FROM ledger_transactiontoken",
    "entries": "SELECT COUNT(*) FROM ledger_ledgerentry",
    "completed": "SELECT COUNT(*) FROM ledger_transactiontoken WHERE status = 'COMPLETED'",
    "failed": "SELECT COUNT(*) FROM ledger_transactiontoken WHERE status = 'FAILED'",
    "sum_of_all_balances": "SELECT COALESCE(SUM(balance), 0) FROM ledger_ledgeraccount",
    "withdrawals_held_in_flight": (
        "SELECT COUNT(*) FROM ledger_transactiontoken t JOIN gateways_externalpayment p ON p.transaction_id = t.id"
        " WHERE p.direction = 'OUT' AND t.status = 'AUTHORIZED'"
    ),
    # claims whose request died between claim and answer (SIGKILL): stranded by design, see bank.py
    "idempotency_keys_stranded": "SELECT COUNT(*) FROM core_idempotencyrecord WHERE response_status IS NULL",
}


def _rows(sql: str) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def ledger(target: db.Target) -> tuple[dict, list[str]]:
    """Sum of all balances zero, no negative wallet or pot, every COMPLETED transaction a balanced
    journal, no INTERNAL transaction half-applied, holding == withdrawals in flight, and
    `manage.py verify_ledger` exit 0."""
    figures = {name: _scalar(sql) for name, sql in FIGURES.items()}
    violations = []
    for name, sql in CHECKS.items():
        rows = _rows(sql)
        figures[name] = len(rows)
        violations += [f"{name}: {row}" for row in rows[:10]]
    verified = db.verify_ledger(target)
    figures["verify_ledger"] = "ok" if verified["ok"] else "FAILED"
    violations += [f"verify_ledger: {problem}" for problem in verified["problems"]]
    return figures, violations


def _scalar(sql: str):
    value = _rows(sql)[0][0]
    return str(value) if isinstance(value, Decimal) else value


def balances(account_ids) -> dict[int, Decimal]:
    from comrade.ledger.models import LedgerAccount

    return dict(LedgerAccount.objects.filter(pk__in=list(account_ids)).values_list("pk", "balance"))
