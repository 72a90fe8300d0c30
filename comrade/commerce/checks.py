"""Commerce's part of `verify_ledger`."""

from django.db.models import Exists, F, OuterRef

from comrade.commerce.models import Purchase, UserSubscription
from comrade.gateways.models import ExternalPayment
from comrade.ledger.models import LedgerEntry, TransactionToken

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


def refunds_debit_the_sale_shard() -> list[str]:
    """A refund of a purchase takes its money from the revenue account the sale credited (sales
    revenue is sharded by payer): taking it from another shard could drive that one negative."""
    credited = LedgerEntry.objects.filter(
        transaction_id=OuterRef("transaction__related_transaction_id"), account_id=OuterRef("account_id"), amount__gt=0
    )
    bad = ExternalPayment.objects.filter(
        direction=ExternalPayment.Direction.OUT,
        transaction__transaction_type=TransactionToken.Type.REFUND,
        transaction__related_transaction__transaction_type=TransactionToken.Type.PURCHASE,
    ).exclude(Exists(credited))
    return [f"refund {p.transaction_id}: debits account {p.account_id}, which its purchase did not credit" for p in bad]
