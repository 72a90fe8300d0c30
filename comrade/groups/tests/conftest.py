from contextlib import contextmanager
from decimal import Decimal

import pytest

from comrade.groups.services import group_contribute
from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory
from comrade.groups.tests.helpers import snapshot


@pytest.fixture
def unchanged():
    """`with unchanged(): ...` asserts that the block wrote nothing at all. With
    transactions=False a FAILED transaction record is allowed (insufficient funds)."""

    @contextmanager
    def check(*, transactions: bool = True):
        before = snapshot(with_transactions=transactions)
        yield
        assert snapshot(with_transactions=transactions) == before

    return check


@pytest.fixture
def admin(make_user):
    return make_user(balance="500.00")


@pytest.fixture
def member(make_user):
    return make_user(balance="200.00")


@pytest.fixture
def outsider(make_user):
    return make_user(balance="200.00")


@pytest.fixture
def group(admin, member):
    group = PaymentGroupFactory(admin=admin, name="Vacation Fund")
    GroupMemberFactory(group=group, user=member)
    return group


@pytest.fixture
def contribute():
    def make(group, user, amount, **kwargs):
        txn = group_contribute(group=group, user=user, amount=Decimal(amount), **kwargs)
        assert txn.status == "COMPLETED", txn.failure_reason
        return txn

    return make
