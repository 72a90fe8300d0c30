from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.groups.services import group_close, group_contribute, group_create, group_update
from comrade.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db


def create(admin, name="Trip", **kwargs):
    return group_create(admin=admin, name=name, group_type="SAVINGS", **kwargs)


def test_the_creator_is_the_admin_member_and_the_group_has_an_empty_pot(admin):
    group = create(admin, description="Summer", target_amount=Decimal("5000.00"), deadline=timezone.localdate())

    assert (group.admin, group.group_type, group.target_amount, group.currency) == (
        admin,
        "SAVINGS",
        Decimal("5000.00"),
        "USD",
    )
    assert list(GroupMembers.objects.filter(group=group).values_list("user_id", "role")) == [(admin.pk, "ADMIN")]
    assert (group.pot.kind, group.pot.allow_negative, group.current_amount) == ("GROUP_POT", False, 0)
    assert (group.is_active, group.is_open, group.closed_at) == (True, False, None)


def test_a_deadline_in_the_past_is_refused(admin, unchanged):
    with unchanged(), pytest.raises(ApplicationError) as error:
        create(admin, deadline=timezone.localdate() - timedelta(days=1))
    assert error.value.code == "deadline_in_past"


def test_the_tier_limits_how_many_open_groups_one_administers(admin, unchanged):
    groups = [create(admin, name=f"G{i}") for i in range(3)]  # BASIC: 3

    with unchanged(), pytest.raises(Forbidden) as error:
        create(admin, name="One too many")
    assert (error.value.code, error.value.extra) == ("group_limit_reached", {"tier": "BASIC", "limit": "3"})
    assert LedgerAccount.objects.filter(kind="GROUP_POT").count() == 3

    group_close(group=groups[0], admin=admin)  # closed groups do not count
    assert create(admin, name="Room again").pk


def test_admin_updates_details_and_extends_a_passed_deadline(group, admin, member):
    PaymentGroups.objects.filter(pk=group.pk).update(deadline=timezone.localdate() - timedelta(days=3))
    new_deadline = timezone.localdate() + timedelta(days=30)

    updated = group_update(group=group, admin=admin, name="Renamed", deadline=new_deadline, is_open=True)

    assert (updated.name, updated.deadline, updated.is_open) == ("Renamed", new_deadline, True)
    assert group_contribute(group=group, user=member, amount=Decimal("1.00")).status == "COMPLETED"


def test_pausing_stops_contributions_until_resumed(group, admin, member, unchanged):
    group_update(group=group, admin=admin, is_active=False)
    with unchanged(), pytest.raises(ApplicationError):
        group_contribute(group=group, user=member, amount=Decimal("1.00"))

    group_update(group=group, admin=admin, is_active=True)
    assert group_contribute(group=group, user=member, amount=Decimal("1.00")).status == "COMPLETED"


def test_update_rights_and_state(group, admin, member, outsider, unchanged):
    with unchanged(), pytest.raises(Forbidden):
        group_update(group=group, admin=member, name="Mine now")
    with unchanged(), pytest.raises(NotFound):
        group_update(group=group, admin=outsider, name="Mine now")
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_update(group=group, admin=admin, deadline=timezone.localdate() - timedelta(days=1))
    assert error.value.code == "deadline_in_past"

    group_close(group=group, admin=admin)
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_update(group=group, admin=admin, is_active=True)
    assert error.value.code == "group_closed"
