"""The purge_old_records job: old Idempotency-Keys are forgotten in batches, except one whose
request never answered while a transaction it opened is still open."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from comrade.accounts.models import User
from comrade.core import jobs, retention
from comrade.core.idempotency import INTERRUPTED_MARK
from comrade.core.models import IdempotencyRecord
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import transaction_open, transition

pytestmark = pytest.mark.django_db


def record(user, key: str, *, age_days: int, answered: bool = True) -> IdempotencyRecord:
    created = IdempotencyRecord.objects.create(
        user=user,
        key=key,
        fingerprint="f" * 64,
        response_status=201 if answered else None,
        response_body={} if answered else INTERRUPTED_MARK,
    )
    IdempotencyRecord.objects.filter(pk=created.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    return created


def opened_by(rec: IdempotencyRecord, *, status: str | None = None) -> TransactionToken:
    txn = transaction_open(sender=rec.user, receiver=rec.user, amount=1, idempotency_record_id=rec.pk)
    if status:
        transition(txn, status, reason="test")
    return txn


def keys() -> set[str]:
    return set(IdempotencyRecord.objects.values_list("key", flat=True))


def test_the_job_is_registered():
    job = jobs.get("purge_old_records")
    assert job.run is retention.purge_old_records
    assert retention.purge_idempotency_records in retention._purges


@override_settings(IDEMPOTENCY_RETENTION_DAYS=30, RETENTION_BATCH_SIZE=2)
def test_old_keys_are_purged_in_batches_and_recent_ones_kept(user):
    for n in range(5):
        record(user, f"old-{n}", age_days=31)
    record(user, "recent", age_days=29)
    answered = record(user, "old-with-txn", age_days=40)
    txn = opened_by(answered, status="CANCELLED")

    assert retention.purge_old_records(timezone.now()) == 6
    assert keys() == {"recent"}
    txn.refresh_from_db()
    assert txn.idempotency_record_id is None and txn.status == "CANCELLED"


@override_settings(IDEMPOTENCY_RETENTION_DAYS=30)
def test_an_interrupted_key_is_kept_while_its_transaction_is_open(user):
    pending = record(user, "interrupted-open", age_days=90, answered=False)
    opened_by(pending)
    settled = record(user, "interrupted-final", age_days=90, answered=False)
    opened_by(settled, status="FAILED")
    record(user, "unanswered-no-txn", age_days=90, answered=False)

    assert retention.purge_old_records(timezone.now()) == 2
    assert keys() == {"interrupted-open"}


def test_a_failing_purge_does_not_stop_the_others(user, monkeypatch):
    record(user, "old", age_days=400)

    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(retention, "_purges", [broken, retention.purge_idempotency_records])
    assert retention.purge_old_records(timezone.now()) == 1
    assert keys() == set()


def test_register_purge_adds_a_purge_once(monkeypatch):
    monkeypatch.setattr(retention, "_purges", [])

    def purge(now):
        return 7

    retention.register_purge(purge)
    retention.register_purge(purge)
    assert retention.purge_old_records(timezone.now()) == 7


def test_seed_demo_refuses_outside_development_mode_and_writes_nothing():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="only in development mode"):
        call_command("seed_demo")
    assert not User.objects.exists() and not TransactionToken.objects.exists()


def test_seed_demo_runs_in_development_mode():
    with override_settings(DEBUG=True):
        call_command("seed_demo")
    assert User.objects.filter(email="alice@comrade.local").exists()
