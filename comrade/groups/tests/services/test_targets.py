from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.services import group_close, target_create

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_target_in_their_group(group, admin):
    target = target_create(
        group=group, admin=admin, name="Flights", target_amount=Decimal("2000.00"), target_date=timezone.localdate()
    )

    assert (target.group, target.name, target.current_amount, target.is_achieved) == (group, "Flights", 0, False)


def test_target_rules(group, admin, member, outsider, unchanged):
    with unchanged(), pytest.raises(Forbidden):
        target_create(group=group, admin=member, name="x", target_amount=Decimal("1.00"))
    with unchanged(), pytest.raises(NotFound):
        target_create(group=group, admin=outsider, name="x", target_amount=Decimal("1.00"))
    with unchanged(), pytest.raises(ApplicationError) as error:
        target_create(
            group=group,
            admin=admin,
            name="x",
            target_amount=Decimal("1.00"),
            target_date=timezone.localdate() - timedelta(days=1),
        )
    assert error.value.code == "target_date_in_past"

    group_close(group=group, admin=admin)
    with unchanged(), pytest.raises(ApplicationError) as error:
        target_create(group=group, admin=admin, name="x", target_amount=Decimal("1.00"))
    assert error.value.code == "group_closed"
