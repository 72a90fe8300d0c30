import pytest

from comrade.groups.models import PaymentGroups
from comrade.groups.services import group_rotation_set
from comrade.groups.tests.dues_helpers import run_job, set_dues

pytestmark = pytest.mark.django_db


def settings_of(group):
    return PaymentGroups.objects.values_list("rotation_requires_full_round", "rotation_auto").get(pk=group.pk)


def test_settings_need_a_dues_schedule_next_to_the_field(browser_for, group, admin):
    url = f"/groups/{group.pk}/rotation/settings/"
    page = browser_for(admin).get(url)
    assert page.status_code == 200 and "no dues schedule" in page.content.decode()
    response = browser_for(admin).post(url, {"rotation_requires_full_round": "on"})
    assert response.status_code == 200
    assert "Set a dues schedule first" in " ".join(response.context["form"].errors["rotation_requires_full_round"])
    assert settings_of(group) == (False, False)


def test_an_admin_turns_the_settings_on_and_off(browser_for, group, admin):
    set_dues(group, admin, "10.00")
    url = f"/groups/{group.pk}/rotation/settings/"
    client = browser_for(admin)
    response = client.post(url, {"rotation_requires_full_round": "on", "rotation_auto": "on"})
    assert response.status_code == 302
    assert settings_of(group) == (True, True)
    client.post(url, {"rotation_auto": "on"})
    assert settings_of(group) == (False, True)


def test_settings_are_for_admins_only(browser_for, group, admin, member, outsider):
    set_dues(group, admin, "10.00")
    url = f"/groups/{group.pk}/rotation/settings/"
    assert browser_for(member).post(url, {"rotation_auto": "on"}).status_code == 403
    assert browser_for(outsider).post(url, {"rotation_auto": "on"}).status_code == 404
    assert browser_for(outsider).get(url).status_code == 404
    assert settings_of(group) == (False, False)


def test_the_group_page_shows_who_is_next_and_who_is_missing(browser_for, group, admin, member):
    set_dues(group, admin, "10.00")
    group_rotation_set(group=group, admin=admin, order=[member.pk, admin.pk])
    browser_for(admin).post(f"/groups/{group.pk}/rotation/settings/", {"rotation_requires_full_round": "on"})
    run_job()
    page = browser_for(member).get(f"/groups/{group.pk}/").content.decode()
    assert "This round" in page and "incomplete" in page
    assert f"{admin.email}: USD 10.00" in page and f"{member.email}: USD 10.00" in page
    assert "Payout only after a full round: on" in page
    assert "Rotation settings" not in page
    assert "Rotation settings" in browser_for(admin).get(f"/groups/{group.pk}/").content.decode()
