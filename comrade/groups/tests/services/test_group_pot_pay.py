from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import GroupTarget, PaymentGroups
from comrade.groups.services import group_payout, group_pot_pay
from comrade.groups.tests.factories import GroupTargetFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount
from comrade.ledger.services import system_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return system_account(LedgerAccount.Kind.REVENUE, "sales", allow_negative=False)


@pytest.fixture
def funded(group, admin, member, contribute):
    contribute(group, member, "100.00")
    contribute(group, admin, "50.00")
    return group


def pay(group, admin, amount, account, **kwargs):
    amount = Decimal(amount)
    return group_pot_pay(
        group=group, admin=admin, amount=amount, credit_account_id=account.pk, transaction_type="PURCHASE", **kwargs
    )


def test_an_admin_pays_from_the_pot(funded, admin, shop):
    txn = pay(funded, admin, "120.00", shop, description="Tent")

    assert (txn.status, txn.transaction_type, txn.sender, txn.metadata["group_id"]) == (
        "COMPLETED",
        "PURCHASE",
        admin,
        funded.pk,
    )
    assert pot(funded) == Decimal("30.00")
    assert LedgerAccount.objects.get(pk=shop.pk).balance == Decimal("120.00")
    assert run_all() == []


def test_more_than_the_pot_fails_and_moves_nothing(funded, admin, shop, unchanged):
    with unchanged(transactions=False):
        txn = pay(funded, admin, "150.01", shop)

    assert txn.status == "FAILED"


def test_a_member_without_admin_rights_is_forbidden(funded, member, shop, unchanged):
    with unchanged(), pytest.raises(Forbidden) as error:
        pay(funded, member, "1.00", shop)
    assert error.value.code == "not_group_admin"


def test_a_non_member_is_told_the_group_does_not_exist(funded, outsider, shop, unchanged):
    with unchanged(), pytest.raises(NotFound):
        pay(funded, outsider, "1.00", shop)


def test_a_closed_group_pays_nothing(funded, admin, shop, unchanged):
    PaymentGroups.objects.filter(pk=funded.pk).update(is_active=False, closed_at=timezone.now())

    with unchanged(), pytest.raises(ApplicationError) as error:
        pay(funded, admin, "1.00", shop)
    assert error.value.code == "group_closed"


def test_a_paused_group_can_still_pay(funded, admin, shop):
    PaymentGroups.objects.filter(pk=funded.pk).update(is_active=False)

    assert pay(funded, admin, "1.00", shop).status == "COMPLETED"


def test_the_pot_cannot_pay_itself(funded, admin, unchanged):
    with unchanged(), pytest.raises(ApplicationError) as error:
        pay(funded, admin, "1.00", funded.pot)
    assert error.value.code == "invalid_destination"


def test_free_money_is_spent_first_then_the_newest_target_gives_way(group, admin, member, shop, contribute):
    older = GroupTargetFactory(group=group, target_amount=Decimal("60.00"))
    newer = GroupTargetFactory(group=group, target_amount=Decimal("60.00"))
    contribute(group, member, "50.00", target=older)
    contribute(group, member, "40.00", target=newer)
    contribute(group, member, "30.00")  # free money, not allocated

    pay(group, admin, "50.00", shop)  # 30 free + 20 from the newest target

    assert pot(group) == Decimal("70.00")
    assert GroupTarget.objects.get(pk=newer.pk).current_amount == Decimal("20.00")
    assert GroupTarget.objects.get(pk=older.pk).current_amount == Decimal("50.00")

    pay(group, admin, "45.00", shop)  # the rest of the newest target, then the older one

    assert GroupTarget.objects.get(pk=newer.pk).current_amount == Decimal("0.00")
    assert GroupTarget.objects.get(pk=older.pk).current_amount == Decimal("25.00")
    assert pot(group) == Decimal("25.00")
    assert run_all() == []


def test_an_achieved_target_stays_achieved_when_its_money_is_spent(group, admin, member, shop, contribute):
    target = GroupTargetFactory(group=group, target_amount=Decimal("40.00"))
    contribute(group, member, "40.00", target=target)

    pay(group, admin, "40.00", shop)

    target.refresh_from_db()
    assert (target.current_amount, target.is_achieved) == (Decimal("0.00"), True)


def test_payout_to_a_member_wallet(funded, admin, member):
    txn = group_payout(group=funded, admin=admin, member_user=member, amount=Decimal("30.00"))

    assert (txn.status, txn.transaction_type, txn.receiver) == ("COMPLETED", "PAYOUT", member)
    assert wallet(member) == Decimal("130.00")  # 200 - 100 contributed + 30
    assert pot(funded) == Decimal("120.00")
    assert run_all() == []


def test_payout_to_a_non_member_is_refused(funded, admin, outsider, unchanged):
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_payout(group=funded, admin=admin, member_user=outsider, amount=Decimal("1.00"))
    assert error.value.code == "not_a_member"


def test_payout_by_a_plain_member_is_forbidden(funded, admin, member, unchanged):
    with unchanged(), pytest.raises(Forbidden):
        group_payout(group=funded, admin=member, member_user=admin, amount=Decimal("1.00"))


def test_payout_beyond_the_pot_fails_without_moving_money(funded, admin, member, unchanged):
    with unchanged(transactions=False):
        txn = group_payout(group=funded, admin=admin, member_user=member, amount=Decimal("150.01"))
    assert txn.status == "FAILED"
