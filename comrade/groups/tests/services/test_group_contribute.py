from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core.errors import ApplicationError, NotFound
from comrade.groups.models import Contribution, GroupMembers, GroupTarget, PaymentGroups
from comrade.groups.services import group_contribute
from comrade.groups.tests.factories import GroupTargetFactory
from comrade.groups.tests.helpers import pot, total_of, wallet
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerEntry, TransactionToken

pytestmark = pytest.mark.django_db


def test_contribution_moves_wallet_money_into_the_pot_and_records_everything(group, member):
    txn = group_contribute(group=group, user=member, amount=Decimal("25.50"))

    assert (txn.status, txn.transaction_type, txn.payment_method) == ("COMPLETED", "CONTRIBUTION", "INTERNAL")
    assert txn.metadata == {"group_id": group.pk, "target_id": None}
    assert wallet(member) == Decimal("174.50")
    assert pot(group) == Decimal("25.50")
    group.refresh_from_db()
    assert group.current_amount == Decimal("25.50")
    assert total_of(group, member) == Decimal("25.50")
    contribution = Contribution.objects.get(transaction=txn)
    assert (contribution.group, contribution.member, contribution.amount) == (group, member, Decimal("25.50"))
    assert contribution.membership == GroupMembers.objects.get(group=group, user=member)
    assert sorted(LedgerEntry.objects.filter(transaction=txn).values_list("amount", flat=True)) == [
        Decimal("-25.50"),
        Decimal("25.50"),
    ]
    assert list(txn.status_changes.values_list("to_status", flat=True)) == [
        "PENDING",
        "AUTHORIZED",
        "VERIFIED",
        "COMPLETED",
    ]
    assert run_all() == []


def test_totals_accumulate_over_several_contributions(group, admin, member, contribute):
    contribute(group, member, "10.00")
    contribute(group, member, "15.25")
    contribute(group, admin, "1.00")

    assert total_of(group, member) == Decimal("25.25")
    assert total_of(group, admin) == Decimal("1.00")
    assert pot(group) == Decimal("26.25")
    assert run_all() == []


def test_insufficient_funds_fail_the_transaction_and_write_nothing_else(group, member, unchanged):
    with unchanged(transactions=False):
        txn = group_contribute(group=group, user=member, amount=Decimal("200.01"))

    assert txn.status == "FAILED"
    assert "Insufficient balance" in txn.failure_reason
    assert not LedgerEntry.objects.filter(transaction=txn).exists()


def test_a_non_member_is_told_the_group_does_not_exist(group, outsider, unchanged):
    with unchanged(), pytest.raises(NotFound):
        group_contribute(group=group, user=outsider, amount=Decimal("5.00"))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"is_active": False}, "group_inactive"),
        ({"is_active": False, "closed_at": timezone.now()}, "group_closed"),
        ({"deadline": timezone.localdate() - timedelta(days=1)}, "group_deadline_passed"),
    ],
)
def test_groups_that_do_not_accept_money_refuse_it(group, member, unchanged, change, code):
    PaymentGroups.objects.filter(pk=group.pk).update(**change)

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_contribute(group=group, user=member, amount=Decimal("5.00"))

    assert error.value.code == code
    assert not TransactionToken.objects.filter(transaction_type="CONTRIBUTION").exists()


def test_the_deadline_day_itself_still_accepts_contributions(group, member):
    PaymentGroups.objects.filter(pk=group.pk).update(deadline=timezone.localdate())

    assert group_contribute(group=group, user=member, amount=Decimal("5.00")).status == "COMPLETED"


def test_a_zero_amount_is_refused_before_writing(group, member, unchanged):
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_contribute(group=group, user=member, amount=Decimal("0.00"))

    assert error.value.code == "invalid_amount"


def test_contribution_to_a_target_allocates_it_and_marks_it_achieved(group, member):
    target = GroupTargetFactory(group=group, target_amount=Decimal("30.00"))

    group_contribute(group=group, user=member, amount=Decimal("20.00"), target=target)
    target.refresh_from_db()
    assert (target.current_amount, target.is_achieved) == (Decimal("20.00"), False)

    txn = group_contribute(group=group, user=member, amount=Decimal("10.00"), target=target)
    target.refresh_from_db()
    assert (target.current_amount, target.is_achieved) == (Decimal("30.00"), True)
    assert Contribution.objects.get(transaction=txn).target == target
    assert txn.metadata["target_id"] == target.pk
    assert pot(group) == Decimal("30.00")
    assert total_of(group, member) == Decimal("30.00")
    assert run_all() == []


def test_a_target_does_not_take_more_than_it_still_needs(group, member, unchanged):
    target = GroupTargetFactory(group=group, target_amount=Decimal("30.00"), current_amount=Decimal("0"))
    group_contribute(group=group, user=member, amount=Decimal("25.00"), target=target)

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_contribute(group=group, user=member, amount=Decimal("5.01"), target=target)
    assert error.value.code == "target_exceeded"

    group_contribute(group=group, user=member, amount=Decimal("5.00"), target=target)
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_contribute(group=group, user=member, amount=Decimal("1.00"), target=target)
    assert error.value.code == "target_achieved"


def test_a_target_of_another_group_is_not_found(group, member, unchanged):
    foreign = GroupTargetFactory()

    with unchanged(), pytest.raises(NotFound):
        group_contribute(group=group, user=member, amount=Decimal("1.00"), target=foreign)
    assert GroupTarget.objects.get(pk=foreign.pk).current_amount == 0
