import pytest

from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.standing_orders.models import StandingOrderExecution


@pytest.fixture(autouse=True)
def _default_policy(settings):
    settings.STANDING_ORDER_MAX_RETRIES = 3
    settings.STANDING_ORDER_RETRY_MINUTES = 60
    settings.STANDING_ORDER_CATCH_UP = "all"


@pytest.fixture
def snapshot():
    """What must not change on a failure path: every balance and the rows that record money."""

    def take():
        return {
            "balances": dict(LedgerAccount.objects.values_list("code", "balance")),
            "entries": LedgerEntry.objects.count(),
            "transactions": TransactionToken.objects.count(),
            "executions": StandingOrderExecution.objects.count(),
        }

    return take
