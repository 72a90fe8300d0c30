from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.groups.models import DuesObligation, DuesSchedule
from comrade.groups.progress import dues_status, group_progress, percent_of, projected_completion, target_progress
from comrade.groups.services import group_contribute
from comrade.groups.tests.factories import GroupTargetFactory

TODAY = date(2026, 7, 1)


def test_the_projection_follows_the_pace_so_far():
    # 360 saved in 12 days = 30 a day; 240 left takes 8 more days
    projected = projected_completion(
        target=Decimal("600"),
        saved=Decimal("360"),
        contributed=Decimal("360"),
        since=TODAY - timedelta(days=12),
        today=TODAY,
    )
    assert projected == date(2026, 7, 9)


def test_a_partial_day_of_saving_rounds_up():
    projected = projected_completion(
        target=Decimal("100"),
        saved=Decimal("30"),
        contributed=Decimal("30"),
        since=TODAY - timedelta(days=1),
        today=TODAY,
    )
    assert projected == TODAY + timedelta(days=3)  # 70 at 30 a day: 2.33 days -> 3


def test_a_group_started_today_counts_as_one_day():
    projected = projected_completion(
        target=Decimal("600"), saved=Decimal("360"), contributed=Decimal("360"), since=TODAY, today=TODAY
    )
    assert projected == TODAY + timedelta(days=1)


@pytest.mark.parametrize(
    "saved, contributed",
    [(Decimal("0"), Decimal("0")), (Decimal("600"), Decimal("600")), (Decimal("700"), Decimal("700"))],
)
def test_no_date_without_a_pace_or_when_reached(saved, contributed):
    assert (
        projected_completion(target=Decimal("600"), saved=saved, contributed=contributed, since=TODAY, today=TODAY)
        is None
    )


def test_no_date_when_the_pace_would_take_more_than_a_century():
    assert (
        projected_completion(
            target=Decimal("1000000"), saved=Decimal("0.01"), contributed=Decimal("0.01"), since=TODAY, today=TODAY
        )
        is None
    )


def test_percent_is_rounded_down_and_never_negative():
    assert percent_of(Decimal("360"), Decimal("600")) == 60
    assert percent_of(Decimal("599.99"), Decimal("600")) == 99
    assert percent_of(Decimal("0"), Decimal("600")) == 0
    assert percent_of(Decimal("-1"), Decimal("600")) == 0
    assert percent_of(Decimal("900"), Decimal("600")) == 150


@pytest.mark.django_db
def test_the_group_target_counts_the_pot_and_projects_from_contributions(group, admin, member):
    group.target_amount = Decimal("600.00")
    group.save()
    group_contribute(group=group, user=admin, amount=Decimal("250.00"))
    group_contribute(group=group, user=member, amount=Decimal("110.00"))

    p = group_progress(group, today=timezone.localdate())

    assert (p.saved, p.target, p.percent, p.reached) == (Decimal("360.00"), Decimal("600.00"), 60, False)
    assert p.projected == timezone.localdate() + timedelta(days=1)
    assert "pot" in p.meaning


@pytest.mark.django_db
def test_a_group_without_a_target_has_no_progress(group):
    assert group_progress(group) is None


@pytest.mark.django_db
def test_a_target_counts_its_allocation(group, member):
    target = GroupTargetFactory(group=group, name="Flights", target_amount=Decimal("100.00"))
    assert target_progress(target).projected is None
    group_contribute(group=group, user=member, amount=Decimal("40.00"), target=target)
    target.refresh_from_db()

    p = target_progress(target)

    assert (p.saved, p.percent, p.projected) == (Decimal("40.00"), 40, timezone.localdate() + timedelta(days=2))


@pytest.mark.django_db
def test_dues_status_paid_due_and_late_with_a_fine(group, member, admin):
    assert dues_status(group, member) is None
    today = timezone.localdate()
    DuesSchedule.objects.create(
        group=group, amount=Decimal("50.00"), frequency="MONTHLY", first_due_date=today, updated_by=admin
    )
    assert dues_status(group, member).state == "paid"

    def owe(kind, due, amount, **extra):
        return DuesObligation.objects.create(
            group=group,
            user=member,
            kind=kind,
            period_start=due,
            period_end=due + timedelta(days=29),
            due_date=due,
            arrears_from=due + timedelta(days=1),
            amount=Decimal(amount),
            **extra,
        )

    dues = owe("DUES", today + timedelta(days=3), "50.00")
    status = dues_status(group, member, today=today)
    assert (status.state, status.amount, status.due_date) == ("due", Decimal("50.00"), dues.due_date)

    late = dues_status(group, member, today=today + timedelta(days=5))
    assert late.state == "late"
    owe("FINE", today + timedelta(days=3), "5.00", fine_for=dues)
    late = dues_status(group, member, today=today + timedelta(days=5))
    assert (late.state, late.amount, late.fine) == ("late", Decimal("55.00"), Decimal("5.00"))
