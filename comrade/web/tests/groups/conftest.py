from contextlib import contextmanager

import pytest
from django.test import Client

from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory
from comrade.groups.tests.helpers import snapshot


@pytest.fixture
def unchanged():
    """`with unchanged(): ...` asserts the block wrote nothing a group page could write: balances,
    entries, transactions, contributions, groups, members, targets, invitations."""

    @contextmanager
    def check(*, transactions: bool = True):
        before = snapshot(with_transactions=transactions)
        yield
        assert snapshot(with_transactions=transactions) == before

    return check


@pytest.fixture
def browser_for():
    """A Django test client signed in as `user` (None: signed out)."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def admin(make_user):
    return make_user(balance="500.00", first_name="Amina", last_name="Odhiambo")


@pytest.fixture
def member(make_user):
    return make_user(balance="200.00", first_name="Baraka", last_name="Mwangi")


@pytest.fixture
def outsider(make_user):
    return make_user(balance="200.00")


@pytest.fixture
def group(admin, member):
    group = PaymentGroupFactory(admin=admin, name="Vacation Fund")
    GroupMemberFactory(group=group, user=member)
    return group
