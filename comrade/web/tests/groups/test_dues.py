from datetime import timedelta
from decimal import Decimal

import pytest

from comrade.groups.models import DuesObligation, DuesSchedule, PaymentGroups
from comrade.groups.services import group_contribute
from comrade.groups.tests.dues_helpers import run_job, set_dues, today
from comrade.groups.tests.factories import PaymentGroupFactory

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "amount": "10.00",
    "frequency": "MONTHLY",
    "first_due_date": str(today()),
    "grace_days": "2",
    "fine_kind": "FIXED",
    "fine_value": "1.50",
}


def schedule_row(group):
    return list(DuesSchedule.objects.filter(group=group).values_list("amount", "frequency", "grace_days", "fine_value"))


def test_an_admin_sets_and_changes_the_schedule(browser_for, group, admin):
    client = browser_for(admin)
    url = f"/groups/{group.pk}/dues/schedule/"
    assert client.get(url).status_code == 200
    response = client.post(url, SCHEDULE)
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/dues/"
    assert schedule_row(group) == [(Decimal("10.00"), "MONTHLY", 2, Decimal("1.50"))]
    assert 'value="10.00"' in client.get(url).content.decode()
    client.post(url, {**SCHEDULE, "amount": "12.50", "fine_kind": "NONE", "fine_value": ""})
    assert schedule_row(group) == [(Decimal("12.50"), "MONTHLY", 2, None)]
    assert "Dues schedule" in client.get(f"/groups/{group.pk}/").content.decode()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"amount": "10.001"}, "amount", "two decimals"),
        ({"amount": "-5"}, "amount", "greater than zero"),
        ({"amount": "999999999999"}, "amount", "most you can move"),
        ({"frequency": "HOURLY"}, "frequency", "valid choice"),
        ({"frequency": "EVERY_N_DAYS"}, "interval_days", "days between due dates"),
        ({"first_due_date": str(today() - timedelta(days=1))}, "first_due_date", "in the past"),
        ({"first_due_date": "yesterday"}, "first_due_date", "valid date"),
        ({"grace_days": "-1"}, "grace_days", "greater than or equal"),
        ({"fine_value": "10.01"}, "fine_value", "more than the dues"),
        ({"fine_kind": "PERCENT", "fine_value": "101"}, "fine_value", "more than the dues"),
        ({"fine_kind": "FIXED", "fine_value": ""}, "fine_value", "positive value"),
        ({"fine_kind": "NONE", "fine_value": "1.00"}, "fine_value", "fixed or percentage fine"),
    ],
)
def test_bad_schedules_are_shown_next_to_the_field_and_change_nothing(browser_for, group, admin, change, field, words):
    response = browser_for(admin).post(f"/groups/{group.pk}/dues/schedule/", {**SCHEDULE, **change})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors and words in " ".join(form.errors[field])
    assert "Error:" in response.content.decode() and f"#id_{field}" in response.content.decode()
    assert not DuesSchedule.objects.exists()


def test_schedule_is_for_admins_only(browser_for, group, member, outsider):
    url = f"/groups/{group.pk}/dues/schedule/"
    assert browser_for(member).post(url, SCHEDULE).status_code == 403
    assert browser_for(member).get(url).status_code == 403
    assert browser_for(outsider).post(url, SCHEDULE).status_code == 404
    assert browser_for(None).get(url).status_code == 302
    assert not DuesSchedule.objects.exists()


def test_a_closed_group_cannot_get_dues(browser_for, group, admin):
    PaymentGroups.objects.filter(pk=group.pk).update(closed_at=group.created_at, is_active=False)
    response = browser_for(admin).post(f"/groups/{group.pk}/dues/schedule/", SCHEDULE)
    assert response.status_code == 200 and "This group is closed." in response.content.decode()
    assert not DuesSchedule.objects.exists()


def test_members_see_their_own_dues_and_admins_everyones(browser_for, group, admin, member, outsider):
    set_dues(group, admin, "10.00")
    run_job()
    group_contribute(group=group, user=member, amount=Decimal("4.00"))

    mine = browser_for(member).get(f"/groups/{group.pk}/dues/")
    assert [m.user_id for m in mine.context["members"]] == [member.pk]
    assert [o.user_id for o in mine.context["obligations"]] == [member.pk]
    assert "USD 6.00" in mine.content.decode() and admin.email not in mine.content.decode()

    everyone = browser_for(admin).get(f"/groups/{group.pk}/dues/")
    totals = {m.user_id: m.balance_due for m in everyone.context["members"]}
    assert totals == {admin.pk: Decimal("10.00"), member.pk: Decimal("6.00")}
    assert browser_for(outsider).get(f"/groups/{group.pk}/dues/").status_code == 404
    assert "Your dues and fines" in browser_for(member).get(f"/groups/{group.pk}/").content.decode()


@pytest.fixture
def fine(group, admin, member):
    set_dues(group, admin, "10.00", fine_kind="FIXED", fine_value=Decimal("1.00"))
    run_job()
    run_job(days_from_today=1)
    return DuesObligation.objects.get(user=member, kind="FINE")


def test_an_admin_waives_a_fine_after_confirming(browser_for, group, admin, fine):
    client = browser_for(admin)
    dues_page = client.get(f"/groups/{group.pk}/dues/").content.decode()
    url = f"/groups/{group.pk}/dues/{fine.pk}/waive/"
    assert url in dues_page
    confirm = client.get(url)
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    fine.refresh_from_db()
    assert fine.status == "OPEN"

    response = client.post(url, {"reason": "  Was in hospital  "})
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/dues/"
    fine.refresh_from_db()
    assert (fine.status, fine.waive_reason, fine.waived_by_id) == ("WAIVED", "Was in hospital", admin.pk)
    again = client.post(url, {"reason": "twice"})
    assert again.status_code == 200 and "already WAIVED" in again.content.decode()
    fine.refresh_from_db()
    assert fine.waive_reason == "Was in hospital"


def test_waive_refusals(browser_for, group, admin, member, outsider, fine):
    url = f"/groups/{group.pk}/dues/{fine.pk}/waive/"
    blank = browser_for(admin).post(url, {"reason": "   "})
    assert blank.status_code == 200 and "reason" in blank.context["form"].errors
    dues = DuesObligation.objects.get(user=member, kind="DUES")
    not_fine = browser_for(admin).post(f"/groups/{group.pk}/dues/{dues.pk}/waive/", {"reason": "x"})
    assert not_fine.status_code == 200 and "Only fines can be waived" in not_fine.content.decode()
    assert browser_for(member).post(url, {"reason": "please"}).status_code == 403
    assert browser_for(outsider).post(url, {"reason": "please"}).status_code == 404
    assert browser_for(admin).post(f"/groups/{group.pk}/dues/999999/waive/", {"reason": "x"}).status_code == 404
    fine.refresh_from_db()
    dues.refresh_from_db()
    assert (fine.status, dues.status) == ("OPEN", "OPEN")


def test_a_fine_of_another_group_is_404(browser_for, admin, fine):
    other = PaymentGroupFactory(admin=admin, name="Other")
    assert browser_for(admin).post(f"/groups/{other.pk}/dues/{fine.pk}/waive/", {"reason": "x"}).status_code == 404
    fine.refresh_from_db()
    assert fine.status == "OPEN"
