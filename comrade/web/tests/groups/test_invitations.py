from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from comrade.groups.models import GroupInvitation, GroupMembers
from comrade.groups.tests.factories import GroupInvitationFactory, GroupMemberFactory

pytestmark = pytest.mark.django_db


def invite_url(group):
    return f"/groups/{group.pk}/invite/"


def test_inviting_emails_a_link_to_the_accept_page(
    browser_for, group, admin, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://pay.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_for(admin).post(invite_url(group), {"invitee_email": "Friend@Example.com"})
    invitation = GroupInvitation.objects.get(group=group)
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/"
    assert (invitation.invitee_email, invitation.status) == ("friend@example.com", "PENDING")
    [email] = mail.outbox
    assert f"https://pay.example/groups/invitations/{invitation.token}/" in email.body
    assert "friend@example.com" in browser_for(admin).get(f"/groups/{group.pk}/").content.decode()


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "This field is required."),
        ("not-an-email", "Enter a valid email address."),
        ("a" * 250 + "@x.io", "at most"),
    ],
)
def test_bad_emails_are_refused_next_to_the_field(browser_for, group, admin, unchanged, email, message):
    with unchanged():
        response = browser_for(admin).post(invite_url(group), {"invitee_email": email})
    assert response.status_code == 200
    assert 'id="id_invitee_email_error"' in response.content.decode() and message in response.content.decode()
    assert not mail.outbox


def test_inviting_a_member_is_refused_next_to_the_field(browser_for, group, admin, member, unchanged):
    with unchanged():
        response = browser_for(admin).post(invite_url(group), {"invitee_email": member.email})
    assert response.status_code == 200 and "Already a member." in response.content.decode()


def test_a_full_group_refuses_an_invitation_with_a_message(browser_for, group, admin, make_user, unchanged):
    GroupMemberFactory(group=group, user=make_user())  # 3 members: BASIC's limit
    with unchanged():
        response = browser_for(admin).post(invite_url(group), {"invitee_email": "fourth@example.com"})
    assert response.status_code == 200
    assert "A BASIC group may have 3 members." in response.content.decode()


def test_non_members_cannot_invite(browser_for, group, outsider, unchanged):
    with unchanged():
        assert browser_for(outsider).get(invite_url(group)).status_code == 404
        assert browser_for(outsider).post(invite_url(group), {"invitee_email": "x@example.com"}).status_code == 404


# --- the accept page ---


def test_the_emailed_link_needs_a_login_and_comes_back(browser_for, group):
    invitation = GroupInvitationFactory(group=group)
    response = browser_for().get(f"/groups/invitations/{invitation.token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/groups/invitations/{invitation.token}/"


def test_the_accept_page_shows_the_group_and_who_invited(browser_for, group, make_user):
    friend = make_user(email="friend@example.com")
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    html = browser_for(friend).get(f"/groups/invitations/{invitation.token}/").content.decode()
    assert "Join Vacation Fund?" in html and "Amina Odhiambo" in html
    assert 'value="accept"' in html and 'value="decline"' in html


def test_accepting_by_the_emailed_token_joins(browser_for, group, make_user):
    friend = make_user(email="friend@example.com", email_verified_at=None)  # the token proves the inbox
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    response = browser_for(friend).post(f"/groups/invitations/{invitation.token}/", {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/"
    assert GroupMembers.objects.get(group=group, user=friend).role == "MEMBER"
    invitation.refresh_from_db()
    assert invitation.status == "ACCEPTED"


def test_declining_by_id_from_my_list(browser_for, group, make_user):
    friend = make_user(email="friend@example.com")
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    response = browser_for(friend).post(f"/groups/invitations/{invitation.pk}/", {"answer": "decline"})
    assert response.status_code == 302 and response["Location"] == "/groups/"
    invitation.refresh_from_db()
    assert invitation.status == "DECLINED"
    assert not GroupMembers.objects.filter(group=group, user=friend).exists()


def test_an_invitation_for_another_email_is_refused_as_the_api_refuses(browser_for, group, make_user, unchanged):
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    stranger = make_user(email="stranger@example.com")
    with unchanged():
        assert browser_for(stranger).get(f"/groups/invitations/{invitation.pk}/").status_code == 404
        assert (
            browser_for(stranger).post(f"/groups/invitations/{invitation.pk}/", {"answer": "accept"}).status_code == 404
        )
        wrong = f"/groups/invitations/{invitation.token[:-1]}x/"
        assert browser_for(stranger).post(wrong, {"answer": "accept"}).status_code == 404


def test_by_id_an_unverified_invitee_is_told_to_verify(browser_for, group, make_user, unchanged):
    friend = make_user(email="friend@example.com", email_verified_at=None)
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    with unchanged():
        response = browser_for(friend).post(f"/groups/invitations/{invitation.pk}/", {"answer": "accept"})
    assert response.status_code == 403
    assert "Verify your email address" in response.content.decode()


def test_a_full_group_refuses_the_accept_with_a_message(browser_for, group, make_user, unchanged):
    GroupMemberFactory(group=group, user=make_user())
    friend = make_user(email="friend@example.com")
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")
    with unchanged():
        response = browser_for(friend).post(f"/groups/invitations/{invitation.token}/", {"answer": "accept"})
    assert response.status_code == 200
    assert "A BASIC group may have 3 members." in response.content.decode()


def test_an_expired_or_answered_invitation_cannot_be_answered(browser_for, group, make_user, unchanged):
    friend = make_user(email="friend@example.com")
    expired = GroupInvitationFactory(
        group=group, invitee_email="friend@example.com", expires_at=timezone.now() - timedelta(minutes=1)
    )
    client = browser_for(friend)
    assert "can no longer be answered" in client.get(f"/groups/invitations/{expired.token}/").content.decode()
    with unchanged():
        response = client.post(f"/groups/invitations/{expired.token}/", {"answer": "accept"})
    assert response.status_code == 200 and "This invitation has expired." in response.content.decode()


# --- cancelling ---


def test_an_admin_cancels_a_pending_invitation(browser_for, group, admin):
    invitation = GroupInvitationFactory(group=group)
    url = f"/groups/{group.pk}/invitations/{invitation.pk}/cancel/"
    client = browser_for(admin)
    assert "The link in the email stops working." in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "EXPIRED"
    again = client.post(url)
    assert again.status_code == 200 and "already expired" in again.content.decode()


def test_a_plain_member_cannot_cancel_someone_elses_invitation(browser_for, group, member, outsider, unchanged):
    invitation = GroupInvitationFactory(group=group)
    url = f"/groups/{group.pk}/invitations/{invitation.pk}/cancel/"
    with unchanged():
        assert browser_for(member).post(url).status_code == 403
        assert browser_for(outsider).post(url).status_code == 404
        assert browser_for(outsider).get(url).status_code == 404


def test_the_sender_may_cancel_their_own_invitation(browser_for, group, member):
    invitation = GroupInvitationFactory(group=group, inviter=member)
    assert browser_for(member).post(f"/groups/{group.pk}/invitations/{invitation.pk}/cancel/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "EXPIRED"
