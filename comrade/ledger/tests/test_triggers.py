"""The ledger's rules in PostgreSQL (pgtrigger, declared on the models): raw SQL that goes around
the models is refused, and what the services do still passes. SQLite installs no triggers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import timezone

from comrade.core.models import IdempotencyRecord
from comrade.core.retention import purge_idempotency_records
from comrade.ledger.checks import run_all
from comrade.ledger.models import (
    ALLOWED_TRANSITIONS,
    LedgerAccount,
    LedgerEntry,
    TransactionStatusChange,
    TransactionToken,
)
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import Leg, settle, system_account, transaction_open, transition, wallet_account_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

OLD_TRIGGERS = {"ledger_entry_append_only", "ledger_status_change_append_only", "ledger_token_immutable"}
OLD_TRIGGERS |= {"ledger_journal_balanced"}


def _sql(statement: str, params=()) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname LIKE 'ledger_%%'"
        )
        return {row[0] for row in cursor.fetchall()}


def _pending(make_user) -> TransactionToken:
    user = make_user()
    return transaction_open(sender=user, receiver=user, amount=Decimal("1.00"))


def test_entries_cannot_be_changed_or_deleted_with_raw_sql(make_user):
    entry = LedgerEntry.objects.filter(account__profile__user=make_user(balance=5)).get()
    with pytest.raises(DatabaseError, match="UPDATE on ledger_ledgerentry is not allowed"):
        _sql("UPDATE ledger_ledgerentry SET amount = 500 WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError, match="DELETE on ledger_ledgerentry is not allowed"):
        _sql("DELETE FROM ledger_ledgerentry WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == Decimal("5.00")


def test_the_audit_trail_cannot_be_changed_or_deleted_with_raw_sql(make_user):
    change = TransactionStatusChange.objects.filter(transaction=_pending(make_user)).get()
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE ledger_transactionstatuschange SET to_status = 'COMPLETED' WHERE id = %s", [change.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("DELETE FROM ledger_transactionstatuschange WHERE id = %s", [change.pk])
    change.refresh_from_db()
    assert change.to_status == "PENDING"


def test_a_token_cannot_be_changed_with_raw_sql(make_user):
    txn = _pending(make_user)
    with pytest.raises(DatabaseError, match="is immutable"):
        _sql("UPDATE ledger_transactiontoken SET token = 'TXN-forged' WHERE id = %s", [txn.pk])
    assert _sql("UPDATE ledger_transactiontoken SET token = token, description = 'kept' WHERE id = %s", [txn.pk])
    txn.refresh_from_db()
    assert txn.token.startswith("TXN-") and txn.token != "TXN-forged" and txn.description == "kept"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "COMPLETED"),  # PENDING skips AUTHORIZED and VERIFIED
        ([], "VERIFIED"),
        (["AUTHORIZED"], "COMPLETED"),
        (["FAILED"], "COMPLETED"),  # a final status is never revived
        (["CANCELLED"], "PENDING"),
        (["AUTHORIZED", "VERIFIED", "COMPLETED"], "FAILED"),
    ],
)
def test_a_status_cannot_skip_a_step_or_leave_a_final_status_with_raw_sql(make_user, path, refused):
    txn = _pending(make_user)
    for status in path:
        _sql("UPDATE ledger_transactiontoken SET status = %s WHERE id = %s", [status, txn.pk])
    with pytest.raises(DatabaseError, match="may not go from"):
        _sql("UPDATE ledger_transactiontoken SET status = %s WHERE id = %s", [refused, txn.pk])
    txn.refresh_from_db()
    assert txn.status == (path[-1] if path else "PENDING")


def test_every_allowed_transition_passes_with_raw_sql(make_user):
    for old, targets in ALLOWED_TRANSITIONS.items():
        for new in targets:
            txn = _pending(make_user)
            _walk_to(txn, old)
            assert _sql("UPDATE ledger_transactiontoken SET status = %s WHERE id = %s", [new, txn.pk]) == 1
            txn.refresh_from_db()
            assert txn.status == new


def _walk_to(txn: TransactionToken, status: str) -> None:
    for step in {"PENDING": [], "AUTHORIZED": ["AUTHORIZED"], "VERIFIED": ["AUTHORIZED", "VERIFIED"]}[status]:
        _sql("UPDATE ledger_transactiontoken SET status = %s WHERE id = %s", [step, txn.pk])


def test_a_final_transaction_may_still_change_other_fields_and_repeat_its_status(make_user):
    user = make_user(balance=5)
    txn = TransactionToken.objects.get(receiver=user)
    assert txn.status == "COMPLETED"
    same_status = "UPDATE ledger_transactiontoken SET status = 'COMPLETED', description = 'noted' WHERE id = %s"
    assert _sql(same_status, [txn.pk]) == 1
    txn.refresh_from_db()
    assert txn.description == "noted"


def test_the_services_still_walk_the_whole_machine(make_user):
    txn = _pending(make_user)
    for status in ("AUTHORIZED", "VERIFIED", "COMPLETED"):
        transition(txn, status)
    txn.refresh_from_db()
    assert txn.status == "COMPLETED"
    assert list(txn.status_changes.order_by("id").values_list("to_status", flat=True)) == [
        "PENDING",
        "AUTHORIZED",
        "VERIFIED",
        "COMPLETED",
    ]


def test_the_hand_written_triggers_are_replaced_by_pgtrigger():
    names = _triggers()
    assert not names & OLD_TRIGGERS
    expected = ("entry_append_only", "journal_balanced", "status_change_append_only", "token_immutable")
    for name in (*expected, "status_machine"):
        assert any(n.startswith(f"pgtrigger_{name}_") for n in names), name


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_journal_is_refused_at_commit(make_user):
    user = make_user(balance=5)
    entry = LedgerEntry.objects.filter(account__profile__user=user).get()
    txn = _pending(make_user)
    insert = (
        "INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, created_at)"
        " VALUES (%s, %s, 7, 12, now())"
    )
    with pytest.raises(DatabaseError, match="sum to 7.00, not zero"), transaction.atomic(), connection.cursor() as c:
        c.execute(insert, [txn.pk, entry.account_id])
    assert not LedgerEntry.objects.filter(transaction=txn).exists()


@pytest.mark.django_db(transaction=True)
def test_a_balanced_journal_written_row_by_row_commits(make_user):
    a, b = make_user(), make_user()
    txn = _pending(make_user)
    with transaction.atomic(), connection.cursor() as cursor:
        for account_id, amount in ((a.payment_profile.account_id, -2), (b.payment_profile.account_id, 2)):
            cursor.execute(
                "INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, created_at)"
                " VALUES (%s, %s, %s, 0, now())",
                [txn.pk, account_id, amount],
            )
    assert LedgerEntry.objects.filter(transaction=txn).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_through_the_hand_written_guards_ends_with_the_same_triggers():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("ledger")
    executor.migrate([("ledger", "0005_transaction_failure_code")])
    assert _triggers() >= OLD_TRIGGERS
    assert not any(name.startswith("pgtrigger_") for name in _triggers())
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    test_the_hand_written_triggers_are_replaced_by_pgtrigger()


@override_settings(IDEMPOTENCY_RETENTION_DAYS=7)
def test_purging_an_old_key_of_a_completed_transaction_keeps_the_transaction_and_its_entries(make_user):
    """The key's FK is SET_NULL: the purge updates the transaction row, which the token and status
    triggers must let through, and the entries stay as they were."""
    user = make_user()
    key = IdempotencyRecord.objects.create(user=user, key="old", fingerprint="f" * 64, response_status=201)
    IdempotencyRecord.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(days=8))
    txn = transaction_open(sender=user, receiver=user, amount=Decimal("3.00"), idempotency_record_id=key.pk)
    funding = system_account(LedgerAccount.Kind.FUNDING).pk
    settle(txn, [Leg(funding, Decimal("-3.00")), Leg(wallet_account_id(user), Decimal("3.00"))])

    assert purge_idempotency_records(timezone.now()) == 1
    txn.refresh_from_db()
    assert (txn.idempotency_record_id, txn.status) == (None, "COMPLETED")
    assert sorted(txn.entries.values_list("amount", flat=True)) == [Decimal("-3.00"), Decimal("3.00")]
    assert balance_of(user) == Decimal("3.00") and run_all() == []


def test_the_journal_check_runs_deferred_in_a_plain_function_without_pgtrigger_wrapper():
    """pgtrigger's generated function opens and aborts a subtransaction per row, which made a bulk
    insert quadratic at COMMIT; the trigger executes ledger_check_journal_balanced() instead."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE t.tgname LIKE 'pgtrigger_journal_balanced_%%'"
        )
        definition, source = cursor.fetchone()
    assert "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_journal_balanced()" in definition
    assert "_pgtrigger_should_ignore" not in source and "EXCEPTION WHEN" not in source


@pytest.mark.django_db(transaction=True)
def test_one_unbalanced_journal_in_a_bulk_insert_of_balanced_ones_is_refused_at_commit(make_user):
    a, b = make_user(), make_user()
    txns = [_pending(make_user) for _ in range(50)]
    rows = []
    for txn in txns:
        rows += [(txn.pk, a.payment_profile.account_id, -2), (txn.pk, b.payment_profile.account_id, 2)]
    rows[-1] = (txns[-1].pk, b.payment_profile.account_id, 3)  # the last journal sums to 1
    values = ", ".join(["(%s, %s, %s, 0, now())"] * len(rows))
    columns = "transaction_id, account_id, amount, balance_after, created_at"
    insert = f"INSERT INTO ledger_ledgerentry ({columns}) VALUES {values}"
    with pytest.raises(DatabaseError, match="sum to 1.00, not zero"), transaction.atomic(), connection.cursor() as c:
        c.execute(insert, [value for row in rows for value in row])
    assert not LedgerEntry.objects.filter(transaction__in=txns).exists()
