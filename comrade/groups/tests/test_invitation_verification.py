"""Who may answer an invitation: the invited address once its owner verified it, or whoever holds
the token from the emailed link. Registering the invited address is not enough."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from comrade.accounts.models import User
from comrade.accounts.services import email_verification_token
from comrade.core.errors import ApplicationError, NotFound
from comrade.groups.models import GroupInvitation, GroupMembers
from comrade.groups.services import group_invite, invitation_accept, invitation_decline
from comrade.groups.tests.factories import GroupInvitationFactory

pytestmark = pytest.mark.django_db
BASE = "/payments/invitations/"
VICTIM = "victim@example.com"


@pytest.fixture
def unverified(make_user):
    return make_user(email=VICTIM, email_verified_at=None)


@pytest.fixture
def invitation(group, unverified):
    return GroupInvitationFactory(group=group, invitee_email=VICTIM)


def status_of(invitation) -> str:
    return GroupInvitation.objects.get(pk=invitation.pk).status


def test_someone_who_registered_the_invited_address_cannot_take_the_invitation(
    member, group, unchanged, django_capture_on_commit_callbacks
):
    """The attack: an invitation goes to an address, somebody else registers that address first."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = group_invite(group=group, inviter=member, invitee_email=VICTIM).invitation
    registered = APIClient().post(
        "/api/auth/register/",
        {"email": VICTIM, "password": "a-Long-pass-123", "first_name": "Eve", "last_name": "X"},
        format="json",
    )
    assert registered.status_code == 201
    api = APIClient()
    api.force_authenticate(User.objects.get(email=VICTIM))

    with unchanged():
        listed = api.get(BASE)
        shown = api.get(f"{BASE}{invitation.pk}/")
        accepted = api.post(f"{BASE}{invitation.pk}/accept/")
        declined = api.post(f"{BASE}{invitation.pk}/decline/")
        joined = api.post(f"/payments/payment-groups/{group.pk}/join/")

    for response in (listed, shown, accepted, declined, joined):
        assert (response.status_code, response.data["code"]) == (403, "email_not_verified")
        assert "Verify your email address" in response.data["message"]
    assert status_of(invitation) == "PENDING"


def test_after_verifying_the_invitee_accepts_by_id(client_for, unverified, invitation, group):
    verified = APIClient().post("/api/auth/verify-email/", {"token": email_verification_token(unverified)})
    assert verified.status_code == 200

    response = client_for(User.objects.get(pk=unverified.pk)).post(f"{BASE}{invitation.pk}/accept/")

    assert response.status_code == 201, response.data
    assert GroupMembers.objects.filter(group=group, user=unverified).exists()
    assert status_of(invitation) == "ACCEPTED"


def test_the_emailed_token_works_for_the_unverified_invitee(client_for, unverified, invitation, group):
    shown = client_for(unverified).get(f"{BASE}{invitation.token}/")
    response = client_for(unverified).post(f"{BASE}{invitation.token}/accept/")

    assert shown.status_code == 200 and shown.data["id"] == invitation.pk
    assert response.status_code == 201, response.data
    assert GroupMembers.objects.filter(group=group, user=unverified).exists()
    assert status_of(invitation) == "ACCEPTED"


def test_the_token_lets_another_signed_in_user_join_and_uses_the_invitation_up(
    client_for, make_user, unverified, invitation, group, unchanged
):
    """The token proves access to the invited inbox, so its holder may join with another account
    (an invitation to a work address accepted with a personal account); it works once."""
    other = make_user(email="personal@example.com", email_verified_at=None)

    response = client_for(other).post(f"{BASE}{invitation.token}/accept/")

    assert response.status_code == 201, response.data
    assert response.data["user"]["id"] == other.pk
    assert status_of(invitation) == "ACCEPTED"
    with unchanged():
        again = client_for(unverified).post(f"{BASE}{invitation.token}/accept/")
    assert (again.status_code, again.data["code"]) == (400, "invitation_not_pending")
    assert not GroupMembers.objects.filter(group=group, user=unverified).exists()


def test_the_token_holder_may_decline(client_for, make_user, invitation, group):
    other = make_user(email="personal@example.com")

    response = client_for(other).post(f"{BASE}{invitation.token}/decline/")

    assert (response.status_code, response.data["status"]) == (200, "DECLINED")
    assert not GroupMembers.objects.filter(group=group, user=other).exists()


def test_a_wrong_token_is_404_for_everyone(client_for, unverified, make_user, invitation, unchanged):
    for user in (unverified, make_user()):
        with unchanged():
            response = client_for(user).post(f"{BASE}{invitation.token[:-1]}x/accept/")
        assert response.status_code == 404


def test_joining_an_open_group_does_not_use_up_an_invitation_to_an_unverified_address(
    client_for, unverified, invitation, group
):
    group.is_open = True
    group.save(update_fields=["is_open"])

    response = client_for(unverified).post(f"/payments/payment-groups/{group.pk}/join/")

    assert response.status_code == 201, response.data
    assert status_of(invitation) == "PENDING"


def test_a_verified_invitee_still_joins_with_the_invitation(client_for, make_user, group):
    invitee = make_user(email="friend@example.com")
    invitation = GroupInvitationFactory(group=group, invitee_email="friend@example.com")

    response = client_for(invitee).post(f"/payments/payment-groups/{group.pk}/join/")

    assert response.status_code == 201, response.data
    assert status_of(invitation) == "ACCEPTED"


def test_the_services_check_the_proof_themselves(make_user, unverified, invitation, group):
    """Whatever the entry point, the service refuses an unproven answer."""
    stranger = make_user()

    with pytest.raises(ApplicationError) as not_verified:
        invitation_accept(invitation=invitation, user=unverified)
    with pytest.raises(NotFound):
        invitation_accept(invitation=invitation, user=stranger)
    with pytest.raises(NotFound):
        invitation_accept(invitation=invitation, user=stranger, token="not-the-token")
    with pytest.raises(ApplicationError) as decline_not_verified:
        invitation_decline(invitation=invitation, user=unverified)

    assert (not_verified.value.code, not_verified.value.status_code) == ("email_not_verified", 403)
    assert decline_not_verified.value.code == "email_not_verified"
    assert status_of(invitation) == "PENDING"
    assert not GroupMembers.objects.filter(group=group, user__in=[unverified, stranger]).exists()


def test_the_invitation_email_carries_the_token_link(member, group, unverified, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = group_invite(group=group, inviter=member, invitee_email=VICTIM).invitation

    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)

    assert invitation.token in link


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_token_holders_at_the_same_moment_one_joins(make_user):
    from comrade.core.testing.concurrency import run_together
    from comrade.groups.tests.factories import PaymentGroupFactory

    group = PaymentGroupFactory(admin=make_user())
    invitation = GroupInvitationFactory(group=group, invitee_email=VICTIM)
    holders = [make_user(email_verified_at=None) for _ in range(2)]

    results = run_together(
        [lambda u=u: invitation_accept(invitation=invitation, user=u, token=invitation.token) for u in holders]
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and refused[0].code == "invitation_not_pending", results
    assert GroupMembers.objects.filter(group=group, user__in=holders).count() == 1
    assert status_of(invitation) == "ACCEPTED"
