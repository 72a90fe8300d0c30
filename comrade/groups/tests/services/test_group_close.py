from decimal import Decimal

import pytest

from comrade.core.errors import ApplicationError, Forbidden
from comrade.groups.models import GroupInvitation, GroupMembers, GroupTarget, PaymentGroups
from comrade.groups.services import group_close
from comrade.groups.tests.factories import GroupInvitationFactory, GroupMemberFactory, GroupTargetFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.services import system_account

pytestmark = pytest.mark.django_db


def spend(group, admin, amount: str):
    from comrade.groups.services import group_pot_pay

    shop = system_account(LedgerAccount.Kind.REVENUE, "sales", allow_negative=False)
    group_pot_pay(
        group=group, admin=admin, amount=Decimal(amount), credit_account_id=shop.pk, transaction_type="PURCHASE"
    )


def test_close_refunds_the_pot_in_proportion_to_contributions(group, admin, member, make_user, contribute):
    third = make_user(balance="100.00")
    GroupMemberFactory(group=group, user=third)
    contribute(group, admin, "10.00")
    contribute(group, member, "20.00")
    contribute(group, third, "30.00")
    spend(group, admin, "6.00")  # 54.00 left: 9 / 18 / 27

    refunds = group_close(group=group, admin=admin)

    assert {(t.receiver, t.amount, t.transaction_type, t.status) for t in refunds} == {
        (admin, Decimal("9.00"), "REFUND", "COMPLETED"),
        (member, Decimal("18.00"), "REFUND", "COMPLETED"),
        (third, Decimal("27.00"), "REFUND", "COMPLETED"),
    }
    assert pot(group) == 0
    assert (wallet(admin), wallet(member), wallet(third)) == (Decimal("499.00"), Decimal("198.00"), Decimal("97.00"))
    group.refresh_from_db()
    assert (group.is_active, group.closed_at is not None) == (False, True)
    assert run_all() == []


def test_odd_amounts_are_split_to_the_cent_largest_remainder_first(group, admin, member, make_user, contribute):
    third = make_user(balance="100.00")
    GroupMemberFactory(group=group, user=third)
    for person in (admin, member, third):
        contribute(group, person, "33.34")
    spend(group, admin, "0.03")  # 99.99 for three equal shares of 33.33

    refunds = {t.receiver: t.amount for t in group_close(group=group, admin=admin)}

    assert refunds == {admin: Decimal("33.33"), member: Decimal("33.33"), third: Decimal("33.33")}
    assert pot(group) == 0


def test_leftover_cents_go_to_the_earliest_joined_on_a_tie(group, admin, member, make_user, contribute):
    third = make_user(balance="100.00")
    GroupMemberFactory(group=group, user=third)
    for person in (admin, member, third):
        contribute(group, person, "1.00")
    spend(group, admin, "2.99")  # 0.01 left for three equal shares

    refunds = group_close(group=group, admin=admin)

    assert [(t.receiver, t.amount) for t in refunds] == [(admin, Decimal("0.01"))]
    assert pot(group) == 0


def test_close_weighs_contributions_net_of_what_the_pot_paid_back(group, admin, member, contribute):
    from comrade.groups.services import group_payout

    contribute(group, admin, "30.00")
    contribute(group, member, "30.00")
    group_payout(group=group, admin=admin, member_user=member, amount=Decimal("20.00"))  # member: 10.00 left in

    refunds = {t.receiver: t.amount for t in group_close(group=group, admin=admin)}

    assert refunds == {admin: Decimal("30.00"), member: Decimal("10.00")}
    assert (wallet(admin), wallet(member)) == (Decimal("500.00"), Decimal("200.00"))
    assert pot(group) == 0
    assert run_all() == []


def test_nobody_contributed_means_an_equal_split(group, admin, member, contribute):
    contribute(group, member, "10.01")
    GroupMembers.objects.filter(group=group, user=member).delete()  # the contributor left
    newcomer = GroupMemberFactory(group=group).user

    refunds = {t.receiver: t.amount for t in group_close(group=group, admin=admin)}

    assert refunds == {admin: Decimal("5.01"), newcomer: Decimal("5.00")}
    assert pot(group) == 0
    assert run_all() == []


def test_an_empty_pot_just_closes(group, admin):
    assert group_close(group=group, admin=admin) == []

    group.refresh_from_db()
    assert group.is_closed
    assert not TransactionToken.objects.filter(transaction_type="REFUND").exists()


def test_close_expires_pending_invitations_and_frees_targets(group, admin, member, contribute):
    invitation = GroupInvitationFactory(group=group)
    target = GroupTargetFactory(group=group, target_amount=Decimal("50.00"))
    contribute(group, member, "20.00", target=target)

    group_close(group=group, admin=admin)

    assert GroupInvitation.objects.get(pk=invitation.pk).status == "EXPIRED"
    assert GroupTarget.objects.get(pk=target.pk).current_amount == 0
    assert run_all() == []


def test_a_plain_member_cannot_close(group, member, contribute, unchanged):
    contribute(group, member, "20.00")

    with unchanged(), pytest.raises(Forbidden):
        group_close(group=group, admin=member)


def test_a_closed_group_cannot_close_again(group, admin, unchanged):
    group_close(group=group, admin=admin)

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_close(group=group, admin=admin)
    assert error.value.code == "group_closed"
    assert PaymentGroups.objects.get(pk=group.pk).closed_at is not None
