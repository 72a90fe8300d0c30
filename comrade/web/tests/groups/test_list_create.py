from decimal import Decimal

import pytest

from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.groups.tests.factories import GroupInvitationFactory, PaymentGroupFactory

pytestmark = pytest.mark.django_db
LIST = "/groups/"
CREATE = "/groups/new/"


def test_signed_out_people_are_sent_to_log_in(browser_for):
    response = browser_for().get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/groups/")


def test_my_groups_show_the_pot_and_my_role_and_not_other_peoples(browser_for, group, member, make_user):
    PaymentGroupFactory(name="Someone Else's Club")
    page = browser_for(member).get(LIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Vacation Fund" in html and "you are member" in html
    assert "USD 0.00" in html
    assert "Someone Else" not in html


def test_pending_invitations_to_me_are_listed_with_a_link(browser_for, group, make_user):
    friend = make_user(email="friend@example.com")
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    html = browser_for(friend).get(LIST).content.decode()
    assert "Invitations to you" in html
    assert f"/groups/invitations/{invitation.pk}/" in html


def test_an_unverified_email_sees_no_invitations_but_is_told_why(browser_for, group, make_user):
    friend = make_user(email="friend@example.com", email_verified_at=None)
    GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    html = browser_for(friend).get(LIST).content.decode()
    assert "Invitations to you" not in html
    assert "Verify your email address" in html


def test_creating_a_group_makes_me_its_admin(browser_for, make_user):
    me = make_user()
    response = browser_for(me).post(
        CREATE,
        {"name": "Team Vacation 2026", "description": "Summer", "group_type": "SAVINGS", "target_amount": "1,250.50"},
    )
    group = PaymentGroups.objects.get(name="Team Vacation 2026")
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/"
    assert (group.admin, group.target_amount, group.description) == (me, Decimal("1250.50"), "Summer")
    assert GroupMembers.objects.get(group=group, user=me).role == "ADMIN"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "", "group_type": "SAVINGS"}, "name", "This field is required."),
        ({"name": "x" * 121, "group_type": "SAVINGS"}, "name", "at most 120 characters"),
        ({"name": "G", "group_type": "LOTTERY"}, "group_type", "Select a valid choice"),
        ({"name": "G", "group_type": "SAVINGS", "target_amount": "10.005"}, "target_amount", "at most two decimals"),
        ({"name": "G", "group_type": "SAVINGS", "target_amount": "-5"}, "target_amount", "greater than zero"),
        ({"name": "G", "group_type": "SAVINGS", "target_amount": "0"}, "target_amount", "greater than zero"),
        ({"name": "G", "group_type": "SAVINGS", "target_amount": "99999999"}, "target_amount", "The most you can move"),
        ({"name": "G", "group_type": "SAVINGS", "target_amount": "ten"}, "target_amount", "in numbers"),
        ({"name": "G", "group_type": "SAVINGS", "deadline": "2020-01-01"}, "deadline", "cannot be in the past"),
        ({"name": "G", "group_type": "SAVINGS", "deadline": "soon"}, "deadline", "Enter a valid date"),
    ],
)
def test_bad_values_are_refused_next_to_the_field_and_nothing_is_written(
    browser_for, make_user, unchanged, data, field, message
):
    me = make_user()
    with unchanged():
        response = browser_for(me).post(CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html and message in html
    assert "<title>Error:" in html
    assert 'aria-invalid="true"' in html


def test_the_tier_limit_is_a_message_and_nothing_is_written(browser_for, make_user, unchanged):
    me = make_user()
    for n in range(3):  # BASIC allows 3 groups
        PaymentGroupFactory(admin=me, name=f"Mine {n}")
    with unchanged():
        response = browser_for(me).post(CREATE, {"name": "One more", "group_type": "SAVINGS"})
    assert response.status_code == 200
    assert "The BASIC tier allows 3 groups." in response.content.decode()
    assert not PaymentGroups.objects.filter(name="One more").exists()


def test_get_is_the_only_way_to_read_the_create_url(browser_for, make_user):
    assert browser_for(make_user()).get(CREATE).status_code == 405
