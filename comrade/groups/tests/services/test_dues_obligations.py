from decimal import Decimal

import pytest

from comrade.core.errors import ApplicationError
from comrade.groups.models import DuesObligation, DuesSchedule
from comrade.groups.services import group_close
from comrade.groups.services.dues import dues_fine_waive
from comrade.groups.tests.dues_helpers import obligations, run_job, set_dues
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db
D = Decimal


def test_one_obligation_per_member_per_period_exactly_once(group, admin, member):
    set_dues(group, admin, "10.00")

    assert run_job() == 2
    assert run_job() == 0

    assert obligations(member) == [("DUES", D("10.00"), D("0.00"), "OPEN")]
    assert obligations(admin) == [("DUES", D("10.00"), D("0.00"), "OPEN")]
    assert DuesSchedule.objects.get(group=group).periods_created == 1


def test_missed_periods_are_caught_up_weekly(group, admin, member):
    set_dues(group, admin, "5.00", frequency="WEEKLY")

    assert run_job(days_from_today=15) == 6

    due_dates = list(DuesObligation.objects.filter(user=member).order_by("due_date").values_list("due_date", flat=True))
    assert [(d - due_dates[0]).days for d in due_dates] == [0, 7, 14]
    assert run_job(days_from_today=15) == 0


def test_every_n_days_and_reminder_lead_create_ahead(group, admin, member):
    set_dues(group, admin, "5.00", frequency="EVERY_N_DAYS", interval_days=10, remind_days_before=3)

    assert run_job(days_from_today=7) == 4  # period 0, and period 1 (due on day 10) three days ahead

    periods = DuesObligation.objects.filter(user=member).order_by("period_start")
    assert [(o.period_end - o.period_start).days for o in periods] == [9, 9]


def test_a_closed_or_paused_group_gets_no_new_obligations(group, admin, member):
    set_dues(group, admin, "10.00")
    group.is_active = False
    group.save()

    assert run_job() == 0
    group.is_active = True
    group.save()
    group_close(group=group, admin=admin)
    assert run_job() == 0
    assert not DuesObligation.objects.exists()


def test_fine_charged_once_past_grace_and_never_taken_from_the_wallet(group, admin, member):
    set_dues(group, admin, "10.00", grace_days=2, fine_kind="FIXED", fine_value=D("1.50"))
    run_job()
    assert run_job(days_from_today=2) == 0  # still in grace
    before = wallet(member)

    assert run_job(days_from_today=3) == 2  # one fine each for admin and member
    assert run_job(days_from_today=4) == 0

    assert obligations(member) == [("DUES", D("10.00"), D("0"), "OPEN"), ("FINE", D("1.50"), D("0"), "OPEN")]
    assert wallet(member) == before
    fine = DuesObligation.objects.get(user=member, kind="FINE")
    assert fine.fine_for.kind == "DUES"


def test_percentage_fine(group, admin, member):
    set_dues(group, admin, "33.33", fine_kind="PERCENT", fine_value=D("10"))
    run_job()
    run_job(days_from_today=1)

    assert DuesObligation.objects.get(user=member, kind="FINE").amount == D("3.33")


def test_admin_waives_a_fine_with_a_reason_that_is_kept(group, admin, member):
    set_dues(group, admin, "10.00", fine_kind="FIXED", fine_value=D("2.00"))
    run_job()
    run_job(days_from_today=1)
    fine = DuesObligation.objects.get(user=member, kind="FINE")

    waived = dues_fine_waive(group=group, admin=admin, obligation_id=fine.pk, reason="Hospital stay")

    assert (waived.status, waived.waived_by, waived.waive_reason) == ("WAIVED", admin, "Hospital stay")
    assert waived.waived_at is not None
    assert run_all() == []


def test_waive_refuses_dues_a_second_waiver_and_a_blank_reason(group, admin, member):
    set_dues(group, admin, "10.00", fine_kind="FIXED", fine_value=D("2.00"))
    run_job()
    run_job(days_from_today=1)
    dues = DuesObligation.objects.get(user=member, kind="DUES")
    fine = DuesObligation.objects.get(user=member, kind="FINE")

    with pytest.raises(ApplicationError) as err:
        dues_fine_waive(group=group, admin=admin, obligation_id=dues.pk, reason="no")
    assert err.value.code == "not_a_fine"
    with pytest.raises(ApplicationError) as err:
        dues_fine_waive(group=group, admin=admin, obligation_id=fine.pk, reason="  ")
    assert "reason" in err.value.fields
    dues_fine_waive(group=group, admin=admin, obligation_id=fine.pk, reason="ok")
    with pytest.raises(ApplicationError) as err:
        dues_fine_waive(group=group, admin=admin, obligation_id=fine.pk, reason="again")
    assert err.value.code == "fine_not_open"
    assert DuesObligation.objects.get(pk=fine.pk).waive_reason == "ok"
    assert DuesObligation.objects.get(pk=dues.pk).status == "OPEN"


def test_members_who_join_later_owe_from_their_first_period(group, admin, make_user):
    from comrade.groups.tests.factories import GroupMemberFactory

    set_dues(group, admin, "10.00", frequency="WEEKLY")
    run_job()
    late = make_user()
    GroupMemberFactory(group=group, user=late)

    run_job(days_from_today=7)

    assert len(obligations(late)) == 1
    assert pot(group) == 0
