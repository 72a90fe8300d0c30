from decimal import Decimal
from unittest import mock

import pytest

from comrade.core.errors import ApplicationError
from comrade.groups.dues_selectors import rotation_status
from comrade.groups.models import RotationPayout, RotationRound
from comrade.groups.services import group_rotation_payout, group_rotation_set
from comrade.groups.services.rotation_auto import rotation_auto_run
from comrade.groups.services.rounds import rotation_settings_set
from comrade.groups.tests.dues_helpers import at, run_job, set_dues, today
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rotating(group, admin, member):
    set_dues(group, admin, "10.00")
    group_rotation_set(group=group, admin=admin, order=[member.pk, admin.pk])
    rotation_settings_set(group=group, admin=admin, requires_full_round=True)
    run_job()
    group.refresh_from_db()
    return group


def test_settings_need_a_dues_schedule(group, admin):
    with pytest.raises(ApplicationError) as err:
        rotation_settings_set(group=group, admin=admin, auto=True)
    assert (err.value.code, list(err.value.fields)) == ("dues_schedule_required", ["rotation_auto"])
    group.refresh_from_db()
    assert not group.rotation_auto


def test_payout_refused_until_the_round_is_complete(rotating, admin, member, contribute):
    contribute(rotating, admin, "10.00")

    with pytest.raises(ApplicationError) as err:
        group_rotation_payout(group=rotating, admin=admin)

    assert err.value.code == "round_not_complete"
    assert err.value.extra["missing"] == [{"user_id": member.pk, "email": member.email, "amount": "10.00"}]
    assert pot(rotating) == D("10.00")
    assert not RotationPayout.objects.exists()

    contribute(rotating, member, "10.00")
    txn = group_rotation_payout(group=rotating, admin=admin)
    assert txn.status == "COMPLETED"
    assert wallet(member) == D("210.00")
    assert run_all() == []


def test_without_the_setting_a_payout_does_not_wait(group, admin, member, contribute):
    set_dues(group, admin, "10.00")
    group_rotation_set(group=group, admin=admin, order=[member.pk, admin.pk])
    run_job()
    contribute(group, admin, "5.00")

    assert group_rotation_payout(group=group, admin=admin).status == "COMPLETED"


def test_status_shows_next_member_due_date_and_what_is_missing(rotating, admin, member, contribute):
    contribute(rotating, member, "4.00")

    status = rotation_status(rotating)

    assert status.next_member.user_id == member.pk
    assert status.current_period_start == today()
    assert status.next_due_date.month != today().month or status.next_due_date.year != today().year
    assert not status.round_complete
    assert {(m.user_id, m.amount) for m in status.missing} == {(member.pk, D("6.00")), (admin.pk, D("10.00"))}


def test_auto_rotation_pays_once_per_round(rotating, admin, member, contribute):
    rotation_settings_set(group=rotating, admin=admin, auto=True)
    contribute(rotating, admin, "10.00")
    assert rotation_auto_run(now=at(today())) == 0  # member still owes

    contribute(rotating, member, "10.00")
    assert rotation_auto_run(now=at(today())) == 1
    assert rotation_auto_run(now=at(today())) == 0

    assert wallet(member) == D("210.00")
    assert RotationPayout.objects.get().user == member
    assert RotationRound.objects.get().status == "PAID"
    assert run_all() == []


def test_auto_rotation_records_a_refusal_and_goes_on(rotating, admin, member, contribute):
    rotation_settings_set(group=rotating, admin=admin, auto=True)
    contribute(rotating, admin, "10.00")
    contribute(rotating, member, "10.00")
    refusal = ApplicationError("approval_required", "Two approvals are needed.")

    with mock.patch("comrade.groups.services.rotation_auto.group_rotation_payout", side_effect=refusal):
        assert rotation_auto_run(now=at(today())) == 0

    record = RotationRound.objects.get()
    assert (record.status, record.error_code, record.attempts) == ("FAILED", "approval_required", 1)
    assert pot(rotating) == D("20.00")
    assert rotation_auto_run(now=at(today())) == 1  # tried again on the next run
    assert RotationRound.objects.get().status == "PAID"


def test_auto_rotation_skips_a_round_an_admin_paid_by_hand(rotating, admin, member, contribute):
    contribute(rotating, admin, "10.00")
    contribute(rotating, member, "10.00")
    group_rotation_payout(group=rotating, admin=admin)
    rotation_settings_set(group=rotating, admin=admin, auto=True)

    assert rotation_auto_run(now=at(today())) == 0
    assert RotationPayout.objects.count() == 1
