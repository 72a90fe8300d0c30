from datetime import timedelta
from decimal import Decimal

import pytest

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import DuesSchedule
from comrade.groups.tests.dues_helpers import run_job, set_dues, today

pytestmark = pytest.mark.django_db


def test_admin_sets_a_schedule(group, admin):
    schedule = set_dues(group, admin, "25.00", grace_days=3, fine_kind="PERCENT", fine_value=Decimal("10"))

    schedule.refresh_from_db()
    assert (schedule.amount, schedule.frequency, schedule.grace_days) == (Decimal("25.00"), "MONTHLY", 3)
    assert (schedule.fine_kind, schedule.fine_value, schedule.periods_created) == ("PERCENT", Decimal("10.00"), 0)


@pytest.mark.parametrize(
    ("terms", "field", "code"),
    [
        ({"first_due_date": today() - timedelta(days=1)}, "first_due_date", "date_in_past"),
        ({"frequency": "YEARLY"}, "frequency", "invalid_choice"),
        ({"frequency": "EVERY_N_DAYS"}, "interval_days", "required"),
        ({"fine_kind": "FIXED", "fine_value": Decimal("10.01")}, "fine_value", "fine_above_dues"),
        ({"fine_kind": "PERCENT", "fine_value": Decimal("100.01")}, "fine_value", "fine_above_dues"),
        ({"fine_kind": "FIXED"}, "fine_value", "required"),
        ({"fine_value": Decimal("1")}, "fine_value", "invalid"),
        ({"grace_days": -1}, "grace_days", "invalid"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(group, admin, terms, field, code):
    with pytest.raises(ApplicationError) as err:
        set_dues(group, admin, "10.00", **terms)

    assert err.value.code == code
    assert field in err.value.fields
    assert not DuesSchedule.objects.exists()


def test_a_fine_equal_to_the_dues_is_allowed(group, admin):
    assert set_dues(group, admin, "10.00", fine_kind="FIXED", fine_value=Decimal("10.00")).pk


def test_only_an_admin_sets_dues_and_outsiders_do_not_see_the_group(group, member, outsider):
    with pytest.raises(Forbidden):
        set_dues(group, member)
    with pytest.raises(NotFound):
        set_dues(group, outsider)
    assert not DuesSchedule.objects.exists()


def test_changing_the_amount_keeps_the_calendar(group, admin):
    set_dues(group, admin, "10.00")
    run_job()

    schedule = set_dues(group, admin, "12.00")

    assert (schedule.amount, schedule.periods_created) == (Decimal("12.00"), 1)


def test_a_new_calendar_cannot_overlap_a_charged_period(group, admin):
    set_dues(group, admin, "10.00", frequency="WEEKLY")
    run_job()

    with pytest.raises(ApplicationError) as err:
        set_dues(group, admin, "10.00", frequency="WEEKLY", first_due_date=today() + timedelta(days=6))
    assert err.value.code == "overlaps_charged_period"

    schedule = set_dues(group, admin, "10.00", frequency="WEEKLY", first_due_date=today() + timedelta(days=7))
    assert schedule.periods_created == 0
