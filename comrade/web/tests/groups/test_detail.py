from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.groups.models import DuesSchedule
from comrade.groups.services import approval_request_or_run, group_contribute, group_rotation_set
from comrade.groups.tests.factories import GroupMemberFactory, GroupTargetFactory

pytestmark = pytest.mark.django_db


def page(browser_for, user, group):
    return browser_for(user).get(f"/groups/{group.pk}/")


def test_another_users_group_is_a_404(browser_for, group, outsider):
    assert page(browser_for, outsider, group).status_code == 404
    assert browser_for(outsider).get("/groups/999999/").status_code == 404


def test_the_page_shows_pot_members_contributions_and_target_progress(browser_for, group, admin, member):
    group.target_amount = Decimal("600.00")
    group.save()
    group_contribute(group=group, user=admin, amount=Decimal("250.00"))
    group_contribute(group=group, user=member, amount=Decimal("110.00"))
    response = page(browser_for, member, group)
    html = response.content.decode()
    assert response.status_code == 200
    assert "USD 360.00" in html
    assert "USD 360.00 of USD 600.00 (60%)" in html
    assert '<meter min="0" max="600.00" value="360.00"' in html
    assert "the money in the pot now" in html
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert f"reached around {tomorrow.day} {tomorrow:%b %Y}" in html
    assert "Amina Odhiambo" in html and "Baraka Mwangi" in html
    assert "USD 250.00" in html and "USD 110.00" in html
    assert "you are member" in html
    assert "/payout/" not in html  # admin actions are for admins


def test_a_target_without_contributions_has_no_date(browser_for, group, member):
    GroupTargetFactory(group=group, name="Flights", target_amount=Decimal("100.00"))
    html = page(browser_for, member, group).content.decode()
    assert "USD 0.00 of USD 100.00 (0%)" in html
    assert "No projected date yet" in html


def test_admins_see_the_admin_actions(browser_for, group, admin):
    html = page(browser_for, admin, group).content.decode()
    for url in ("payout/", "rotation/payout/", "close/", "targets/new/", "rotation/"):
        assert f"/groups/{group.pk}/{url}" in html


def test_rotation_order_and_next_payee(browser_for, group, admin, member):
    group_rotation_set(group=group, admin=admin, order=[member.pk, admin.pk])
    html = page(browser_for, member, group).content.decode()
    assert "Next to receive: <strong>Baraka Mwangi</strong>" in html


def test_my_dues_status_when_the_group_has_a_schedule(browser_for, group, admin, member):
    assert "Your dues this period" not in page(browser_for, member, group).content.decode()
    DuesSchedule.objects.create(
        group=group, amount=Decimal("50.00"), frequency="MONTHLY", first_due_date=timezone.localdate(), updated_by=admin
    )
    html = page(browser_for, member, group).content.decode()
    assert "Your dues this period" in html and "Paid" in html


def test_pending_approvals_show_with_approve_for_approvers(browser_for, group, admin, member, make_user):
    treasurer = make_user()
    second = make_user()
    GroupMemberFactory(group=group, user=treasurer, role="TREASURER")
    GroupMemberFactory(group=group, user=second, role="TREASURER")
    group.approvals_required = 2
    group.save()
    group_contribute(group=group, user=member, amount=Decimal("100.00"))
    outcome = approval_request_or_run(
        group=group, requester=admin, action="payout", params={"user_id": member.pk, "amount": Decimal("40.00")}
    )
    approve = f"/groups/{group.pk}/approvals/{outcome.request.pk}/approve/"
    as_treasurer = page(browser_for, treasurer, group).content.decode()
    assert "Pay USD 40.00 to Baraka Mwangi" in as_treasurer and "0 of 2 approvals" in as_treasurer
    assert approve in as_treasurer
    assert approve not in page(browser_for, member, group).content.decode()
    assert approve not in page(browser_for, admin, group).content.decode()  # not their own request


def test_late_dues_show_with_the_fine(browser_for, group, admin, member):
    from comrade.groups.models import DuesObligation

    today = timezone.localdate()
    DuesSchedule.objects.create(
        group=group, amount=Decimal("50.00"), frequency="MONTHLY", first_due_date=today, updated_by=admin
    )
    due = today - timedelta(days=10)
    dues = DuesObligation.objects.create(
        group=group,
        user=member,
        kind="DUES",
        period_start=due,
        period_end=today,
        due_date=due,
        arrears_from=due + timedelta(days=1),
        amount=Decimal("50.00"),
    )
    DuesObligation.objects.create(
        group=group,
        user=member,
        kind="FINE",
        period_start=due,
        period_end=today,
        due_date=today,
        arrears_from=today,
        amount=Decimal("5.00"),
        fine_for=dues,
    )
    html = page(browser_for, member, group).content.decode()
    assert "Late" in html and "USD 55.00 overdue" in html and "a fine of USD 5.00" in html
