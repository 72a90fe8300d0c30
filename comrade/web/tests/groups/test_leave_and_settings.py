import re
from decimal import Decimal

import pytest

from comrade.groups.models import ApprovalRequest, GroupMembers
from comrade.groups.services import group_contribute
from comrade.groups.tests.factories import GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet

pytestmark = pytest.mark.django_db
KEY = "0b7f7d58-7f8e-4a4c-9d0a-0d6cb1b9b0a1"


def key_in(response) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', response.content.decode()).group(1)


def test_a_member_leaves_with_their_balance_once(browser_for, group, member):
    group_contribute(group=group, user=member, amount=Decimal("60.00"))
    client = browser_for(member)
    page = client.get(f"/groups/{group.pk}/leave/")
    assert "USD 60.00" in page.content.decode()
    data = {"form_key": key_in(page)}
    first = client.post(f"/groups/{group.pk}/leave/", data)
    second = client.post(f"/groups/{group.pk}/leave/", data)
    assert first["Location"] == second["Location"] == "/groups/"
    assert not GroupMembers.objects.filter(group=group, user=member).exists()
    assert (pot(group), wallet(member)) == (Decimal("0.00"), Decimal("200.00"))
    assert client.get(f"/groups/{group.pk}/").status_code == 404


def test_the_owner_cannot_leave_and_others_get_404(browser_for, group, admin, outsider, unchanged):
    with unchanged():
        owner = browser_for(admin).post(f"/groups/{group.pk}/leave/", {"form_key": KEY})
        assert browser_for(outsider).post(f"/groups/{group.pk}/leave/", {"form_key": KEY}).status_code == 404
    assert owner.status_code == 200 and "cannot leave it" in owner.content.decode()


def test_raising_approvals_applies_at_once_and_lowering_is_a_request(browser_for, group, admin, make_user):
    for _ in range(3):
        GroupMemberFactory(group=group, user=make_user(), role="TREASURER")
    url = f"/groups/{group.pk}/approvals/"
    client = browser_for(admin)
    assert client.post(url, {"approvals_required": "2"}).status_code == 302
    group.refresh_from_db()
    assert group.approvals_required == 2
    lowered = client.post(url, {"approvals_required": "1"}, follow=True)
    assert "Waiting for 2 approvals" in lowered.content.decode()
    group.refresh_from_db()
    assert group.approvals_required == 2
    assert ApprovalRequest.objects.get(group=group).action == "set_approvals_required"


def test_approvals_refusals(browser_for, group, admin, member, unchanged):
    url = f"/groups/{group.pk}/approvals/"
    with unchanged():
        too_many = browser_for(admin).post(url, {"approvals_required": "3"})
        bad = browser_for(admin).post(url, {"approvals_required": "7"})
        assert browser_for(member).post(url, {"approvals_required": "2"}).status_code == 403
    assert too_many.status_code == 200 and "At most 1 with 1 approvers." in too_many.content.decode()
    assert "Select a valid choice" in bad.content.decode()


def test_the_statement_link_downloads_for_members(browser_for, group, member, outsider):
    html = browser_for(member).get(f"/groups/{group.pk}/").content.decode()
    link = re.search(r'href="([^"]+statement/\?format=csv)"', html).group(1)
    response = browser_for(member).get(link)
    assert response.status_code == 200 and "csv" in response["Content-Type"]
    assert browser_for(outsider).get(link).status_code == 404


def test_anyone_joins_an_open_group_by_its_link(browser_for, group, admin, outsider):
    group.is_open = True
    group.save()
    assert f"/groups/{group.pk}/join/" in browser_for(admin).get(f"/groups/{group.pk}/").content.decode()
    client = browser_for(outsider)
    assert "Join Vacation Fund?" in client.get(f"/groups/{group.pk}/join/").content.decode()
    assert client.post(f"/groups/{group.pk}/join/").status_code == 302
    assert GroupMembers.objects.get(group=group, user=outsider).role == "MEMBER"
    assert client.get(f"/groups/{group.pk}/join/")["Location"] == f"/groups/{group.pk}/"


def test_a_closed_door_is_a_404_and_a_full_group_says_so(browser_for, group, outsider, make_user, unchanged):
    with unchanged():
        assert browser_for(outsider).get(f"/groups/{group.pk}/join/").status_code == 404
        assert browser_for(outsider).post(f"/groups/{group.pk}/join/").status_code == 404
    group.is_open = True
    group.save()
    GroupMemberFactory(group=group, user=make_user())
    with unchanged():
        full = browser_for(outsider).post(f"/groups/{group.pk}/join/")
    assert full.status_code == 200 and "A BASIC group may have 3 members." in full.content.decode()
