from decimal import Decimal

import pytest

from comrade.groups.models import DuesAllocation, DuesReceipt
from comrade.groups.tests.dues_helpers import at, obligations, run_job, set_dues, today
from comrade.groups.tests.helpers import pot, settle_external, wallet
from comrade.ledger.checks import run_all
from comrade.standing_orders.services import standing_order_create, standing_orders_execute_due

pytestmark = pytest.mark.django_db
D = Decimal


def credit(user) -> Decimal:
    return sum(DuesReceipt.objects.filter(user=user).values_list("unallocated", flat=True), D(0))


def test_contributions_before_a_schedule_are_not_counted(group, admin, member, contribute):
    contribute(group, member, "50.00")
    set_dues(group, admin, "10.00")
    run_job()

    assert obligations(member) == [("DUES", D("10.00"), D("0.00"), "OPEN")]
    assert not DuesReceipt.objects.exists()


def test_oldest_first_part_payment_and_excess_kept_as_credit(group, admin, member, contribute):
    set_dues(group, admin, "10.00", frequency="WEEKLY", fine_kind="FIXED", fine_value=D("1.00"))
    run_job(days_from_today=7)  # two weeks due, the first one fined
    assert obligations(member) == [
        ("DUES", D("10.00"), D("0"), "OPEN"),
        ("DUES", D("10.00"), D("0"), "OPEN"),
        ("FINE", D("1.00"), D("0"), "OPEN"),
    ]

    contribute(group, member, "14.00")
    assert obligations(member) == [
        ("DUES", D("10.00"), D("10.00"), "PAID"),
        ("DUES", D("10.00"), D("4.00"), "OPEN"),
        ("FINE", D("1.00"), D("0"), "OPEN"),
    ]

    contribute(group, member, "20.00")
    assert [o[3] for o in obligations(member)] == ["PAID", "PAID", "PAID"]
    assert credit(member) == D("13.00")
    assert pot(group) == D("34.00")
    assert wallet(member) == D("166.00")
    assert run_all() == []


def test_credit_pays_the_next_obligation_when_it_is_created(group, admin, member, contribute):
    set_dues(group, admin, "10.00", frequency="WEEKLY")
    run_job()
    contribute(group, member, "25.00")
    assert credit(member) == D("15.00")

    run_job(days_from_today=7)
    run_job(days_from_today=14)

    assert obligations(member) == [
        ("DUES", D("10.00"), D("10.00"), "PAID"),
        ("DUES", D("10.00"), D("10.00"), "PAID"),
        ("DUES", D("10.00"), D("5.00"), "OPEN"),
    ]
    assert credit(member) == D("0")
    assert DuesAllocation.objects.filter(obligation__user=member).count() == 3
    assert run_all() == []


def test_an_external_contribution_pays_dues_when_it_settles(group, admin, member):
    set_dues(group, admin, "10.00")
    run_job()

    settle_external(group, member, "10.00")

    assert obligations(member) == [("DUES", D("10.00"), D("10.00"), "PAID")]
    assert run_all() == []


def test_a_standing_order_into_the_group_pays_dues(group, admin, member):
    set_dues(group, admin, "10.00")
    run_job()
    standing_order_create(user=member, amount=D("10.00"), frequency="MONTHLY", start_date=today(), group_id=group.pk)

    assert standing_orders_execute_due(now=at(today())) == 1

    assert obligations(member) == [("DUES", D("10.00"), D("10.00"), "PAID")]
    assert wallet(member) == D("190.00")
    assert run_all() == []


def test_a_failed_contribution_pays_nothing(group, admin, member):
    from comrade.groups.services import group_contribute

    set_dues(group, admin, "10.00")
    run_job()

    txn = group_contribute(group=group, user=member, amount=D("999.00"))

    assert txn.status == "FAILED"
    assert obligations(member) == [("DUES", D("10.00"), D("0.00"), "OPEN")]
    assert not DuesReceipt.objects.exists()


def test_a_fine_is_paid_from_credit_when_charged(group, admin, member, contribute):
    """Credit comes from contributions, so paying a fine from it is the member paying it."""
    set_dues(group, admin, "10.00", fine_kind="FIXED", fine_value=D("1.00"), remind_days_before=0)
    run_job()
    contribute(group, member, "5.00")
    run_job(days_from_today=1)
    contribute(group, member, "10.00")

    assert obligations(member) == [
        ("DUES", D("10.00"), D("10.00"), "PAID"),
        ("FINE", D("1.00"), D("1.00"), "PAID"),
    ]
    assert credit(member) == D("4.00")
