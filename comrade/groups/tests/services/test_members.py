from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import Contribution, GroupInvitation, GroupMembers, PaymentGroups
from comrade.groups.services import (
    group_close,
    group_join,
    group_leave,
    group_member_remove,
    group_member_role_set,
    group_payout,
    group_pot_pay,
)
from comrade.groups.tests.factories import GroupInvitationFactory, GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.selectors import transactions_of
from comrade.ledger.services import system_account

pytestmark = pytest.mark.django_db


def members(group) -> set[int]:
    return set(GroupMembers.objects.filter(group=group).values_list("user_id", flat=True))


def test_anyone_may_join_an_open_group(group, outsider):
    PaymentGroups.objects.filter(pk=group.pk).update(is_open=True)

    membership = group_join(group=group, user=outsider)

    assert (membership.role, membership.total_contributed) == ("MEMBER", 0)
    assert outsider.pk in members(group)


def test_an_invitation_lets_its_invitee_join_and_becomes_accepted(group, outsider):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email.upper())

    group_join(group=group, user=outsider)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.responded_at is not None) == ("ACCEPTED", True)
    assert outsider.pk in members(group)


def test_without_an_invitation_a_closed_door_group_does_not_exist(group, outsider, unchanged):
    GroupInvitationFactory(group=group)  # for someone else

    with unchanged(), pytest.raises(NotFound):
        group_join(group=group, user=outsider)


def test_an_expired_invitation_does_not_open_the_door(group, outsider, unchanged):
    GroupInvitationFactory(group=group, invitee_email=outsider.email, expires_at=timezone.now() - timedelta(seconds=1))

    with unchanged(), pytest.raises(NotFound):
        group_join(group=group, user=outsider)


def test_a_second_join_is_refused(group, member, unchanged):
    PaymentGroups.objects.filter(pk=group.pk).update(is_open=True)

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_join(group=group, user=member)
    assert error.value.code == "already_member"


def test_the_admins_tier_caps_the_members(group, make_user, unchanged):
    PaymentGroups.objects.filter(pk=group.pk).update(is_open=True)
    third, fourth = make_user(), make_user()
    group_join(group=group, user=third)  # admin + member + third = BASIC's 3

    with unchanged(), pytest.raises(Forbidden) as error:
        group_join(group=group, user=fourth)
    assert (error.value.code, error.value.extra["limit"]) == ("member_limit_reached", "3")


def test_a_closed_group_cannot_be_joined(group, admin, outsider, unchanged):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email)
    group_close(group=group, admin=admin)
    GroupInvitation.objects.filter(pk=invitation.pk).update(status="PENDING")  # as if closed a moment later

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_join(group=group, user=outsider)
    assert error.value.code == "group_closed"


def test_a_member_who_leaves_takes_their_contributions_back(group, admin, member, contribute):
    contribute(group, admin, "10.00")
    contribute(group, member, "30.00")

    refund = group_leave(group=group, user=member)

    assert member.pk not in members(group)
    assert (refund.transaction_type, refund.status, refund.amount) == ("REFUND", "COMPLETED", Decimal("30.00"))
    assert (refund.sender, refund.receiver, refund.metadata["reason"]) == (member, member, "member_left")
    assert refund in transactions_of(member)
    assert wallet(member) == Decimal("200.00")
    assert pot(group) == Decimal("10.00")
    assert Contribution.objects.get(member=member).membership is None
    assert run_all() == []


def test_a_removed_member_is_refunded_so_a_close_cannot_share_their_money(group, admin, member, make_user, contribute):
    co_admin = make_user(balance="100.00")
    GroupMemberFactory(group=group, user=co_admin, role="ADMIN")
    contribute(group, admin, "10.00")
    contribute(group, member, "30.00")

    refund = group_member_remove(group=group, admin=co_admin, user_id=member.pk)
    closing = {t.receiver: t.amount for t in group_close(group=group, admin=co_admin)}

    assert (refund.receiver, refund.amount, refund.sender) == (member, Decimal("30.00"), co_admin)
    assert refund.metadata["reason"] == "member_removed"
    assert closing == {admin: Decimal("10.00")}
    assert (wallet(member), wallet(admin), wallet(co_admin)) == (
        Decimal("200.00"),
        Decimal("500.00"),
        Decimal("100.00"),
    )
    assert pot(group) == 0
    assert run_all() == []


def test_the_refund_is_net_of_what_the_pot_paid_the_member(group, admin, member, contribute):
    contribute(group, admin, "10.00")
    contribute(group, member, "30.00")
    group_payout(group=group, admin=admin, member_user=member, amount=Decimal("20.00"))

    refund = group_member_remove(group=group, admin=admin, user_id=member.pk)

    assert refund.amount == Decimal("10.00")
    assert wallet(member) == Decimal("200.00")
    assert pot(group) == Decimal("10.00")


def test_when_the_pot_was_spent_the_member_gets_what_a_close_would_give_them(group, admin, member, contribute):
    contribute(group, admin, "10.00")
    contribute(group, member, "30.00")
    shop = system_account(LedgerAccount.Kind.REVENUE, "sales", allow_negative=False)
    group_pot_pay(
        group=group, admin=admin, amount=Decimal("20.00"), credit_account_id=shop.pk, transaction_type="PURCHASE"
    )

    refund = group_member_remove(group=group, admin=admin, user_id=member.pk)

    assert refund.amount == Decimal("15.00")  # 30 / 40 of the 20.00 left
    assert pot(group) == Decimal("5.00")
    assert run_all() == []


def test_a_member_with_nothing_in_the_pot_leaves_without_a_refund(group, admin, member, contribute):
    contribute(group, admin, "10.00")
    transactions = TransactionToken.objects.count()

    assert group_leave(group=group, user=member) is None

    assert TransactionToken.objects.count() == transactions
    assert (pot(group), wallet(member)) == (Decimal("10.00"), Decimal("200.00"))


def test_the_owner_cannot_leave(group, admin, unchanged):
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_leave(group=group, user=admin)
    assert error.value.code == "owner_cannot_leave"


def test_leaving_a_group_one_is_not_in_is_not_found(group, outsider, unchanged):
    with unchanged(), pytest.raises(NotFound):
        group_leave(group=group, user=outsider)


def test_an_admin_removes_a_member(group, admin, member):
    group_member_remove(group=group, admin=admin, user_id=member.pk)

    assert members(group) == {admin.pk}


def test_removal_rules(group, admin, member, outsider, unchanged):
    with unchanged(), pytest.raises(Forbidden):
        group_member_remove(group=group, admin=member, user_id=admin.pk)
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_member_remove(group=group, admin=admin, user_id=admin.pk)
    assert error.value.code == "cannot_remove_owner"
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_member_remove(group=group, admin=admin, user_id=outsider.pk)
    assert error.value.code == "not_a_member"


def test_a_promoted_member_gets_admin_rights(group, admin, member, contribute, unchanged):
    contribute(group, admin, "10.00")
    with unchanged(), pytest.raises(Forbidden):
        group_payout(group=group, admin=member, member_user=member, amount=Decimal("1.00"))

    membership = group_member_role_set(group=group, admin=admin, user_id=member.pk, role="ADMIN")

    assert membership.role == "ADMIN"
    assert group_payout(group=group, admin=member, member_user=member, amount=Decimal("1.00")).status == "COMPLETED"


def test_role_rules(group, admin, member, unchanged):
    with unchanged(), pytest.raises(Forbidden):
        group_member_role_set(group=group, admin=member, user_id=member.pk, role="ADMIN")
    group_member_role_set(group=group, admin=admin, user_id=member.pk, role="ADMIN")
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_member_role_set(group=group, admin=member, user_id=admin.pk, role="MEMBER")
    assert error.value.code == "owner_role_fixed"
