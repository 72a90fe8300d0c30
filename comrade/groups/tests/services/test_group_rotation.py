from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from comrade.core.errors import ApplicationError, Forbidden
from comrade.groups.models import GroupMembers, RotationPayout
from comrade.groups.services import group_leave, group_rotation_payout, group_rotation_set
from comrade.groups.services.common import lock_group
from comrade.groups.services.members import member_add
from comrade.groups.tests.factories import GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def circle(group, admin, member, make_user, contribute):
    """A merry-go-round of three who each put in 10.00 per round."""
    third = make_user(balance="100.00")
    GroupMemberFactory(group=group, user=third)
    return group, [admin, member, third]


def round_of_contributions(group, people, contribute):
    for person in people:
        contribute(group, person, "10.00")


def received(group) -> dict[int, int]:
    """The last cycle in which each user received."""
    return dict(RotationPayout.objects.filter(group=group).order_by("cycle").values_list("user_id", "cycle"))


def test_each_member_receives_once_per_cycle_in_the_order_set(circle, admin, contribute):
    group, people = circle
    order = [people[2], people[0], people[1]]
    group_rotation_set(group=group, admin=admin, order=[p.pk for p in order])
    payees = []
    for _ in range(4):
        round_of_contributions(group, people, contribute)
        txn = group_rotation_payout(group=group, admin=admin)
        assert (txn.status, txn.amount, txn.transaction_type) == ("COMPLETED", Decimal("30.00"), "PAYOUT")
        payees.append(txn.receiver)
        assert pot(group) == 0

    assert payees == [*order, order[0]]
    group.refresh_from_db()
    assert group.rotation_cycle == 2
    assert received(group) == {order[0].pk: 2, order[1].pk: 1, order[2].pk: 1}
    assert run_all() == []


def test_the_amount_may_be_set_and_members_who_join_later_come_last(circle, admin, make_user, contribute):
    group, people = circle
    group_rotation_set(group=group, admin=admin, order=[p.pk for p in people])
    latecomer = make_user(balance="10.00")
    GroupMembers.objects.filter(group=group, user=people[2]).delete()  # make room in the BASIC tier
    member_add(group=lock_group(group), user=latecomer)
    contribute(group, admin, "50.00")

    payees = [group_rotation_payout(group=group, admin=admin, amount=Decimal("10.00")).receiver for _ in range(3)]

    assert payees == [people[0], people[1], latecomer]
    assert GroupMembers.objects.get(group=group, user=latecomer).payout_position == 3
    assert wallet(people[1]) == Decimal("210.00")
    assert pot(group) == Decimal("20.00")


def test_a_failed_payout_does_not_count_as_received(circle, admin, contribute, unchanged):
    group, people = circle
    group_rotation_set(group=group, admin=admin, order=[p.pk for p in people])
    contribute(group, admin, "5.00")

    with unchanged(transactions=False):
        txn = group_rotation_payout(group=group, admin=admin, amount=Decimal("6.00"))

    assert txn.status == "FAILED"
    assert group_rotation_payout(group=group, admin=admin).receiver == people[0]


def test_an_empty_pot_is_refused(circle, admin, unchanged):
    group, people = circle
    group_rotation_set(group=group, admin=admin, order=[p.pk for p in people])

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_rotation_payout(group=group, admin=admin)
    assert error.value.code == "pot_empty"


def test_payout_before_an_order_is_set_is_refused(circle, admin, contribute, unchanged):
    group, _ = circle
    contribute(group, admin, "5.00")

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_rotation_payout(group=group, admin=admin)
    assert error.value.code == "rotation_not_set"


@pytest.mark.parametrize("shape", ["missing", "duplicate", "stranger"])
def test_the_order_must_name_every_member_exactly_once(circle, admin, outsider, unchanged, shape):
    group, people = circle
    ids = [p.pk for p in people]
    order = {"missing": ids[:2], "duplicate": [*ids, ids[0]], "stranger": [*ids[:2], outsider.pk]}[shape]

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_rotation_set(group=group, admin=admin, order=order)
    assert error.value.code == "invalid_rotation_order"


def test_only_admins_set_the_order_or_pay_out(circle, member, unchanged):
    group, people = circle

    with unchanged(), pytest.raises(Forbidden):
        group_rotation_set(group=group, admin=member, order=[p.pk for p in people])
    with unchanged(), pytest.raises(Forbidden):
        group_rotation_payout(group=group, admin=member)


def test_leaving_and_rejoining_does_not_pay_a_member_twice_in_one_cycle(circle, admin, member, contribute):
    group, people = circle
    group_rotation_set(group=group, admin=admin, order=[member.pk, admin.pk, people[2].pk])
    round_of_contributions(group, people, contribute)
    first = group_rotation_payout(group=group, admin=admin)
    assert (first.receiver, first.amount) == (member, Decimal("30.00"))

    group_leave(group=group, user=member)
    member_add(group=lock_group(group), user=member)
    round_of_contributions(group, people, contribute)
    payees = [group_rotation_payout(group=group, admin=admin, amount=Decimal("10.00")).receiver for _ in range(3)]

    assert payees == [admin, people[2], admin]  # the rejoined member, now last, waits for cycle 2
    group.refresh_from_db()
    assert group.rotation_cycle == 2
    assert received(group) == {member.pk: 1, people[2].pk: 1, admin.pk: 2}
    assert run_all() == []


def test_the_database_refuses_a_second_payout_to_one_user_in_a_cycle(circle, member):
    group, _ = circle
    RotationPayout.objects.create(group=group, cycle=1, user=member)

    with pytest.raises(IntegrityError), transaction.atomic():
        RotationPayout.objects.create(group=group, cycle=1, user=member)


def test_a_rotation_payout_counts_against_the_member_balance(circle, admin, contribute):
    group, people = circle
    group_rotation_set(group=group, admin=admin, order=[p.pk for p in people])
    round_of_contributions(group, people, contribute)

    group_rotation_payout(group=group, admin=admin)

    first = GroupMembers.objects.get(group=group, user=people[0])
    assert (first.total_contributed, first.total_received) == (Decimal("10.00"), Decimal("30.00"))
