"""Dues under concurrency, on PostgreSQL only (SQLite ignores select_for_update)."""

from decimal import Decimal

import pytest

from comrade.core.testing.concurrency import run_together
from comrade.groups.models import DuesAllocation, DuesObligation
from comrade.groups.services import group_contribute
from comrade.groups.services.dues import dues_obligations_create
from comrade.groups.tests.dues_helpers import at, obligations, run_job, set_dues, today
from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory
from comrade.groups.tests.helpers import pot
from comrade.ledger.checks import run_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def test_two_contributions_at_once_never_pay_an_obligation_twice(make_user):
    admin = make_user()
    member = make_user(balance="100.00")
    group = PaymentGroupFactory(admin=admin)
    GroupMemberFactory(group=group, user=member)
    set_dues(group, admin, "10.00", frequency="WEEKLY")
    run_job(days_from_today=7)  # two weeks owed

    results = run_together([lambda: group_contribute(group=group, user=member, amount=D("7.00"))] * 4)

    assert {r.status for r in results} == {"COMPLETED"}, results
    assert obligations(member) == [
        ("DUES", D("10.00"), D("10.00"), "PAID"),
        ("DUES", D("10.00"), D("10.00"), "PAID"),
    ]
    assert sum(DuesAllocation.objects.values_list("amount", flat=True)) == D("20.00")
    assert pot(group) == D("28.00")
    assert run_all() == []


def test_two_job_runners_create_each_obligation_once(make_user):
    admin = make_user()
    group = PaymentGroupFactory(admin=admin)
    people = [make_user() for _ in range(10)]
    for person in people:
        GroupMemberFactory(group=group, user=person)
    set_dues(group, admin, "5.00", frequency="WEEKLY", fine_kind="FIXED", fine_value=D("1.00"))
    now = at(today().fromordinal(today().toordinal() + 15))

    results = run_together([lambda: dues_obligations_create(now=now)] * 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == DuesObligation.objects.count()
    assert DuesObligation.objects.filter(kind="DUES").count() == 11 * 3
    assert DuesObligation.objects.filter(kind="FINE").count() == 11 * 3  # grace 0: day 15 is past every due date
    assert run_all() == []
