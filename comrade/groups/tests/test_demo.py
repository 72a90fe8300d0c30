from decimal import Decimal

import pytest

from comrade.groups import demo
from comrade.groups.models import Contribution, GroupMembers, PaymentGroups
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db


def test_seed_creates_the_vacation_group_once(make_user):
    users = {"alice": make_user(balance="500.00"), "bob": make_user(balance="250.00")}

    demo.seed(users)
    demo.seed(users)

    group = PaymentGroups.objects.get(name="Team Vacation 2026")
    assert group.admin == users["alice"]
    assert dict(GroupMembers.objects.filter(group=group).values_list("user_id", "role")) == {
        users["alice"].pk: "ADMIN",
        users["bob"].pk: "MEMBER",
    }
    assert Contribution.objects.filter(group=group).count() == 2
    group.pot.refresh_from_db()
    assert group.current_amount == Decimal("150.00")
    assert run_all() == []
