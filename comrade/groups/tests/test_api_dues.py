from datetime import timedelta
from decimal import Decimal

import pytest

from comrade.groups.models import DuesObligation, DuesSchedule
from comrade.groups.tests.dues_helpers import run_job, set_dues, today

pytestmark = pytest.mark.django_db


def url(group, tail):
    return f"/payments/payment-groups/{group.pk}/{tail}"


SCHEDULE = {"amount": "10.00", "frequency": "MONTHLY", "first_due_date": str(today()), "grace_days": 2}


def test_admin_puts_and_members_read_the_schedule(client_for, group, admin, member, outsider):
    response = client_for(admin).put(url(group, "dues/schedule/"), SCHEDULE, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == "10.00"

    assert client_for(member).get(url(group, "dues/schedule/")).json()["frequency"] == "MONTHLY"
    assert client_for(member).put(url(group, "dues/schedule/"), SCHEDULE, format="json").status_code == 403
    assert client_for(outsider).get(url(group, "dues/schedule/")).status_code == 404
    assert client_for(outsider).put(url(group, "dues/schedule/"), SCHEDULE, format="json").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_due_date": str(today() - timedelta(days=1))}, "first_due_date"),
        ({"frequency": "HOURLY"}, "frequency"),
        ({"fine_kind": "FIXED", "fine_value": "10.01"}, "fine_value"),
        ({"amount": "0"}, "amount"),
        ({"grace_days": -1}, "grace_days"),
    ],
)
def test_bad_schedules_are_400_naming_the_field(client_for, group, admin, change, field):
    response = client_for(admin).put(url(group, "dues/schedule/"), {**SCHEDULE, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not DuesSchedule.objects.exists()


def test_no_schedule_is_404(client_for, group, member):
    assert client_for(member).get(url(group, "dues/schedule/")).status_code == 404


def test_members_see_their_own_dues_and_admins_everyones(client_for, group, admin, member, outsider, contribute):
    set_dues(group, admin, "10.00")
    run_job()
    contribute(group, member, "4.00")

    mine = client_for(member).get(url(group, "dues/"), {"user_id": admin.pk}).json()
    assert [m["user_id"] for m in mine["members"]] == [member.pk]
    assert mine["members"][0]["balance_due"] == "6.00"
    assert [o["paid_amount"] for o in mine["obligations"]] == ["4.00"]

    everyone = client_for(admin).get(url(group, "dues/")).json()
    assert {m["user_id"]: m["balance_due"] for m in everyone["members"]} == {admin.pk: "10.00", member.pk: "6.00"}
    one = client_for(admin).get(url(group, "dues/"), {"user_id": member.pk}).json()
    assert [m["user_id"] for m in one["members"]] == [member.pk]
    assert client_for(admin).get(url(group, "dues/"), {"user_id": "x"}).status_code == 400
    assert client_for(outsider).get(url(group, "dues/")).status_code == 404


def test_waive_a_fine_over_http(client_for, group, admin, member):
    set_dues(group, admin, "10.00", fine_kind="FIXED", fine_value=Decimal("1.00"))
    run_job()
    run_job(days_from_today=1)
    fine = DuesObligation.objects.get(user=member, kind="FINE")
    path = url(group, f"dues/{fine.pk}/waive/")

    assert client_for(member).post(path, {"reason": "please"}, format="json").status_code == 403
    assert client_for(admin).post(path, {}, format="json").json()["fields"].keys() == {"reason"}
    for missing in ("999999", str(10**30)):
        response = client_for(admin).post(url(group, f"dues/{missing}/waive/"), {"reason": "x"}, format="json")
        assert response.status_code == 404
    response = client_for(admin).post(path, {"reason": "Sick"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["waive_reason"]) == ("WAIVED", "Sick")


def test_rotation_settings_and_status(client_for, group, admin, member, outsider):
    settings_url, status_url = url(group, "rotation/settings/"), url(group, "rotation/status/")
    body = {"rotation_requires_full_round": True}

    assert client_for(admin).put(settings_url, body, format="json").json()["code"] == "dues_schedule_required"
    set_dues(group, admin, "10.00")
    assert client_for(member).put(settings_url, body, format="json").status_code == 403
    assert client_for(outsider).get(status_url).status_code == 404
    response = client_for(admin).put(settings_url, body, format="json")
    assert response.status_code == 200
    assert response.json()["rotation_requires_full_round"] is True
    run_job()

    status = client_for(member).get(status_url).json()
    assert status["round_complete"] is False
    assert {m["user_id"] for m in status["missing"]} == {admin.pk, member.pk}


def test_rotation_payout_refused_with_the_missing_members(client_for, group, admin, member):
    set_dues(group, admin, "10.00")
    client_for(admin).post(url(group, "rotation/"), {"order": [member.pk, admin.pk]}, format="json")
    client_for(admin).put(url(group, "rotation/settings/"), {"rotation_requires_full_round": True}, format="json")
    run_job()

    response = client_for(admin).post(url(group, "rotation_payout/"), {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "round_not_complete"
    assert {m["user_id"] for m in response.json()["missing"]} == {admin.pk, member.pk}
