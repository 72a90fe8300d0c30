"""What a refused form must leave as it was: every balance and the rows that record money,
orders, purchases and subscriptions."""

from comrade.commerce.models import Purchase, UserSubscription
from comrade.core.models import IdempotencyRecord
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution


def ledger_state() -> dict:
    return {
        "balances": dict(LedgerAccount.objects.values_list("code", "balance")),
        "transactions": TransactionToken.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "purchases": Purchase.objects.count(),
        "subscriptions": list(UserSubscription.objects.order_by("id").values()),
        "orders": list(StandingOrder.objects.order_by("id").values()),
        "executions": StandingOrderExecution.objects.count(),
        "keys": IdempotencyRecord.objects.count(),
    }
