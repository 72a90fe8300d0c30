"""EXTERNAL contributions: in one database transaction the gateway calls settlement.prepare(txn)
(the group is locked, or the money refused), posts clearing -> pot and calls settlement.settled(txn);
these tests play the gateway's part."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from comrade.core import settlement
from comrade.core.errors import ApplicationError
from comrade.groups.models import Contribution, PaymentGroups
from comrade.groups.tests.factories import GroupTargetFactory
from comrade.groups.tests.helpers import pot, settle_external, total_of
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount
from comrade.ledger.services import system_account, transaction_open

pytestmark = pytest.mark.django_db


def test_a_settled_external_contribution_is_recorded_like_an_internal_one(group, member):
    target = GroupTargetFactory(group=group, target_amount=Decimal("50.00"))

    txn = settle_external(group, member, "40.00", target=target)

    contribution = Contribution.objects.get(transaction=txn)
    assert (contribution.member, contribution.amount, contribution.target) == (member, Decimal("40.00"), target)
    assert pot(group) == Decimal("40.00")
    assert total_of(group, member) == Decimal("40.00")
    target.refresh_from_db()
    assert target.current_amount == Decimal("40.00")
    assert run_all() == []


def test_settling_twice_records_one_contribution(group, member):
    txn = settle_external(group, member, "10.00")

    with transaction.atomic():
        settlement.settled(txn)

    assert Contribution.objects.filter(transaction=txn).count() == 1
    assert total_of(group, member) == Decimal("10.00")


def test_a_payment_that_settles_after_the_target_filled_stays_unallocated(group, member, contribute):
    target = GroupTargetFactory(group=group, target_amount=Decimal("50.00"))
    contribute(group, member, "45.00", target=target)

    settle_external(group, member, "20.00", target=target)

    target.refresh_from_db()
    assert (target.current_amount, target.is_achieved) == (Decimal("50.00"), True)
    assert pot(group) == Decimal("65.00")
    assert total_of(group, member) == Decimal("65.00")
    assert run_all() == []


def test_a_payment_into_a_closed_group_is_refused_before_the_pot_is_credited(group, member, unchanged):
    PaymentGroups.objects.filter(pk=group.pk).update(is_active=False, closed_at=timezone.now())

    with unchanged(), pytest.raises(settlement.Refused) as refused:
        settle_external(group, member, "10.00")

    assert refused.value.code == "group_closed"


def test_a_payment_from_someone_who_left_is_refused_before_the_pot_is_credited(group, outsider, unchanged):
    with unchanged(), pytest.raises(settlement.Refused) as refused:
        settle_external(group, outsider, "10.00")

    assert refused.value.code == "not_a_member"


def test_a_payment_for_a_group_that_no_longer_exists_is_refused(member):
    with transaction.atomic():
        txn = transaction_open(
            sender=member, amount=Decimal("1.00"), transaction_type="CONTRIBUTION", metadata={"group_id": 999999}
        )
        with pytest.raises(settlement.Refused) as refused:
            settlement.prepare(txn)

    assert refused.value.code == "group_closed"


def test_prepare_leaves_a_group_that_can_take_the_money_alone(group, member, unchanged):
    with unchanged(transactions=False), transaction.atomic():
        txn = transaction_open(
            sender=member, amount=Decimal("1.00"), transaction_type="CONTRIBUTION", metadata={"group_id": group.pk}
        )
        settlement.prepare(txn)


@pytest.mark.parametrize("closed", [True, False])
def test_settled_still_refuses_when_a_caller_skipped_prepare(group, outsider, member, unchanged, closed):
    if closed:
        PaymentGroups.objects.filter(pk=group.pk).update(is_active=False, closed_at=timezone.now())

    with unchanged(), pytest.raises(ApplicationError) as error:
        settle_external(group, member if closed else outsider, "10.00", prepare=False)

    assert error.value.code == ("group_closed" if closed else "not_a_member")


def test_a_payment_that_did_not_credit_the_pot_is_refused(group, member, unchanged):
    elsewhere = system_account(LedgerAccount.Kind.HOLDING, "elsewhere")

    with unchanged(), pytest.raises(ApplicationError) as error:
        settle_external(group, member, "10.00", credit=elsewhere.pk)

    assert error.value.code == "contribution_mismatch"


def test_other_contribution_payments_without_a_group_are_left_alone(member):
    with transaction.atomic():
        txn = transaction_open(sender=member, amount=Decimal("1.00"), transaction_type="CONTRIBUTION")
        settlement.settled(txn)

    assert not Contribution.objects.exists()
