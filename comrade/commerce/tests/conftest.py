import pytest
from django.core.cache import cache

from comrade.commerce.models import Purchase, UserSubscription
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken


def state() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "balances": dict(LedgerAccount.objects.values_list("code", "balance")),
        "transactions": TransactionToken.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "purchases": Purchase.objects.count(),
        "subscriptions": list(UserSubscription.objects.order_by("id").values()),
    }


@pytest.fixture
def unchanged():
    """`with unchanged(): ...` asserts that the block changed no balance and wrote no row."""

    class Guard:
        def __enter__(self):
            self.before = state()

        def __exit__(self, *exc):
            if exc[0] is None:
                assert state() == self.before

    return Guard


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(make_user):
    return make_user(is_staff=True)
