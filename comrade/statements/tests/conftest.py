import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.groups.services import group_contribute
from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory
from comrade.ledger.services import wallet_fund
from comrade.transfers.services import transfer_create


@pytest.fixture
def on(monkeypatch):
    """`with on(2026, 3, 5, 10): ...` makes the ledger write its entries at that UTC moment."""

    @contextmanager
    def clock(*parts: int):
        moment = dt.datetime(*parts, tzinfo=dt.UTC)
        with monkeypatch.context() as patch:
            patch.setattr(timezone, "now", lambda: moment)
            yield moment

    return clock


@pytest.fixture
def fund(on):
    def make(user, amount: str, *when: int):
        with on(*when):
            txn = wallet_fund(user=user, amount=Decimal(amount))
        assert txn.status == "COMPLETED"
        return txn

    return make


@pytest.fixture
def send(on):
    def make(sender, receiver, amount: str, *when: int, description: str = ""):
        with on(*when):
            txn = transfer_create(
                sender=sender, receiver_id=receiver.pk, amount=Decimal(amount), description=description
            )
        assert txn.status == "COMPLETED", txn.failure_reason
        return txn

    return make


@pytest.fixture
def contribute(on):
    def make(group, user, amount: str, *when: int):
        with on(*when):
            txn = group_contribute(group=group, user=user, amount=Decimal(amount))
        assert txn.status == "COMPLETED", txn.failure_reason
        return txn

    return make


@pytest.fixture
def alice(make_user):
    return make_user(email="alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user(email="bob@example.com")


@pytest.fixture
def group(alice, bob):
    group = PaymentGroupFactory(admin=alice, name="Harambee")
    GroupMemberFactory(group=group, user=bob)
    return group
