from datetime import timedelta

import pytest
from django.utils import timezone

from comrade.groups.models import GroupInvitation, GroupMembers
from comrade.groups.tests.factories import GroupInvitationFactory, GroupMemberFactory

pytestmark = pytest.mark.django_db
BASE = "/payments/invitations/"


@pytest.fixture
def invitation(group, outsider):
    return GroupInvitationFactory(group=group, invitee_email=outsider.email)


def test_the_invitee_lists_and_reads_their_invitations(client_for, outsider, invitation):
    GroupInvitationFactory()  # someone else's
    api = client_for(outsider)

    listed = api.get(BASE)
    by_id = api.get(f"{BASE}{invitation.pk}/")
    by_token = api.get(f"{BASE}{invitation.token}/")

    assert [i["id"] for i in listed.data["results"]] == [invitation.pk]
    assert (by_id.status_code, by_token.status_code) == (200, 200)
    assert by_token.data["group_name"] == invitation.group.name
    assert [i["id"] for i in api.get(BASE, {"status": "DECLINED"}).data["results"]] == []


def test_accept_by_id(client_for, outsider, invitation, group):
    response = client_for(outsider).post(f"{BASE}{invitation.pk}/accept/")

    assert response.status_code == 201, response.data
    assert (response.data["user"]["id"], response.data["role"]) == (outsider.pk, "MEMBER")
    assert GroupInvitation.objects.get(pk=invitation.pk).status == "ACCEPTED"
    assert client_for(outsider).get(f"/payments/payment-groups/{group.pk}/").status_code == 200


def test_accept_by_the_link_token(client_for, outsider, invitation, group):
    response = client_for(outsider).post(f"{BASE}{invitation.token}/accept/")

    assert response.status_code == 201, response.data
    assert GroupMembers.objects.filter(group=group, user=outsider).exists()


def test_decline(client_for, outsider, invitation, group):
    response = client_for(outsider).post(f"{BASE}{invitation.pk}/decline/")

    assert (response.status_code, response.data["status"]) == (200, "DECLINED")
    assert not GroupMembers.objects.filter(group=group, user=outsider).exists()
    again = client_for(outsider).post(f"{BASE}{invitation.pk}/accept/")
    assert (again.status_code, again.data["code"]) == (400, "invitation_not_pending")


def test_other_people_cannot_see_or_answer_an_invitation_by_id(client_for, member, admin, invitation, unchanged):
    """Without the emailed token, only the invited address may see or answer it (the token rule is
    in test_invitation_verification.py)."""
    for user in (member, admin):
        api = client_for(user)
        with unchanged():
            assert api.get(f"{BASE}{invitation.pk}/").status_code == 404
            assert api.post(f"{BASE}{invitation.pk}/accept/").status_code == 404
            assert api.post(f"{BASE}{invitation.pk}/decline/").status_code == 404
            assert api.post(f"{BASE}not-the-token-{invitation.token}/accept/").status_code == 404


def test_an_expired_invitation_cannot_be_accepted(client_for, outsider, invitation, unchanged):
    GroupInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with unchanged():
        response = client_for(outsider).post(f"{BASE}{invitation.pk}/accept/")

    assert (response.status_code, response.data["code"]) == (400, "invitation_expired")


def test_accepting_into_a_full_group_is_403(client_for, outsider, invitation, group, unchanged):
    GroupMemberFactory(group=group)

    with unchanged():
        response = client_for(outsider).post(f"{BASE}{invitation.pk}/accept/")

    assert (response.status_code, response.data["code"]) == (403, "member_limit_reached")


def test_the_emailed_link_carries_the_token_the_accept_endpoint_takes(
    client_for, outsider, member, group, django_capture_on_commit_callbacks
):
    """The link opens the web page (/groups/invitations/<token>/); API clients use its token."""
    import re

    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        client_for(member).post(f"/payments/payment-groups/{group.pk}/invite/", {"invitee_email": outsider.email})
    token = re.search(r"https?://\S+/groups/invitations/([A-Za-z0-9_\-]+)/", mail.outbox[0].body).group(1)

    response = client_for(outsider).post(f"{BASE}{token}/accept/")

    assert response.status_code == 201, response.data
    assert GroupMembers.objects.filter(group=group, user=outsider).exists()


def test_an_admin_or_the_sender_cancels_a_pending_invitation(client_for, admin, member, group, unchanged):
    by_admin = GroupInvitationFactory(group=group, inviter=member)
    url = f"/payments/payment-groups/{group.pk}/invitations/{by_admin.pk}/cancel/"

    response = client_for(admin).post(url)

    assert (response.status_code, response.data["status"]) == (200, "EXPIRED")
    again = client_for(admin).post(url)
    assert (again.status_code, again.data["code"]) == (400, "invitation_not_pending")
    own = GroupInvitationFactory(group=group, inviter=member)
    assert (
        client_for(member).post(f"/payments/payment-groups/{group.pk}/invitations/{own.pk}/cancel/").status_code == 200
    )


def test_others_cannot_cancel_an_invitation(client_for, admin, member, outsider, group, unchanged):
    invitation = GroupInvitationFactory(group=group, inviter=admin)
    url = f"/payments/payment-groups/{group.pk}/invitations/{invitation.pk}/cancel/"
    with unchanged():
        plain = client_for(member).post(url)
        stranger = client_for(outsider).post(url)
        missing = client_for(admin).post(f"/payments/payment-groups/{group.pk}/invitations/999999/cancel/")
    assert (plain.status_code, plain.data["code"]) == (403, "not_group_admin")
    assert (stranger.status_code, missing.status_code) == (404, 404)
