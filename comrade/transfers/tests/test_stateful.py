"""Transfers against a model of balances: whatever sequence of transfers hypothesis tries, the
ledger agrees with a dictionary of Decimals and nothing goes negative."""

from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from comrade.accounts.tests.factories import UserFactory
from comrade.ledger.checks import run_all
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import wallet_fund
from comrade.transfers.services import transfer_create

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80.00"), places=2)


class TransferMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.users = [UserFactory() for _ in range(3)]
        self.model = {u.pk: Decimal("0.00") for u in self.users}

    @rule(who=st.integers(0, 2), amount=amounts)
    def fund(self, who, amount):
        wallet_fund(user=self.users[who], amount=amount)
        self.model[self.users[who].pk] += amount

    @rule(src=st.integers(0, 2), dst=st.integers(0, 2), amount=amounts)
    def transfer(self, src, dst, amount):
        if src == dst:
            return
        sender, receiver = self.users[src], self.users[dst]
        txn = transfer_create(sender=sender, receiver_id=receiver.pk, amount=amount)
        if self.model[sender.pk] >= amount:
            assert txn.status == "COMPLETED"
            self.model[sender.pk] -= amount
            self.model[receiver.pk] += amount
        else:
            assert txn.status == "FAILED"

    @invariant()
    def balances_match_the_model(self):
        for user in self.users:
            assert balance_of(user) == self.model[user.pk]
            assert balance_of(user) >= 0

    def teardown(self):
        assert run_all() == []


@pytest.mark.django_db
class TestTransfers(TransferMachine.TestCase, TestCase):
    settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
