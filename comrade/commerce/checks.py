"""Commerce's part of `verify_ledger`."""

from django.db.models import F

from comrade.commerce.models import Purchase, UserSubscription
from comrade.ledger.models import TransactionToken

COMPLETED = TransactionToken.Status.COMPLETED


def purchases_match_their_transactions() -> list[str]:
    """Every purchase was paid: its transaction is a COMPLETED PURCHASE of exactly its total."""
    bad = Purchase.objects.exclude(
        transaction__status=COMPLETED,
        transaction__amount=F("total"),
        transaction__transaction_type=TransactionToken.Type.PURCHASE,
    )
    return [f"purchase {p.pk}: transaction {p.transaction_id} does not pay its total {p.total}" for p in bad]


def subscription_charges_completed() -> list[str]:
    """A subscription row opened by a charge points at a COMPLETED SUBSCRIPTION transaction,
    unless a later renewal attempt failed (then the row is in its grace period or EXPIRED)."""
    bad = UserSubscription.objects.filter(last_transaction__isnull=False, grace_until__isnull=True).exclude(
        last_transaction__status=COMPLETED, last_transaction__transaction_type=TransactionToken.Type.SUBSCRIPTION
    )
    return [f"subscription {s.pk}: last charge {s.last_transaction_id} is not a completed payment" for s in bad]
