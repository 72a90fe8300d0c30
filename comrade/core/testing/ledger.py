"""Test helpers: compare two ways of writing the same money movement (a database function's one
call against the Python path)."""

from comrade.ledger.models import TransactionToken

# What each write makes anew, so it differs between two writes of the same movement.
MADE_ANEW = {"id", "token", "created_at", "updated_at", "verification_date"}


def trail(txn) -> list[tuple[str, str, str]]:
    return [(c.from_status, c.to_status, c.reason) for c in txn.status_changes.order_by("id")]


def same_transaction(fast, slow) -> tuple[TransactionToken, TransactionToken]:
    """Every stored column alike but what each write makes anew, the audit trails alike, and what
    `fast` handed back is what it stored (the API answers without reading again). Returns both
    transactions as stored."""
    stored_fast, stored_slow = TransactionToken.objects.get(pk=fast.pk), TransactionToken.objects.get(pk=slow.pk)
    for field in TransactionToken._meta.concrete_fields:
        if field.name not in MADE_ANEW:
            assert getattr(stored_fast, field.attname) == getattr(stored_slow, field.attname), field.name
    assert (stored_fast.verification_date is None) == (stored_slow.verification_date is None)
    assert trail(stored_fast) == trail(stored_slow)
    handed_back = (fast.pk, fast.status, fast.token, fast.failure_reason)
    assert handed_back == (stored_fast.pk, stored_fast.status, stored_fast.token, stored_fast.failure_reason)
    assert [(c.transaction_id, c.to_status) for c in fast.status_changes.all()] == [
        (fast.pk, status) for _, status, _ in trail(stored_fast)
    ]
    return stored_fast, stored_slow
