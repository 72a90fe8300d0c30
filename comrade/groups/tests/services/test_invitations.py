from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import GroupInvitation, GroupMembers
from comrade.groups.services import (
    group_close,
    group_invite,
    invitation_accept,
    invitation_decline,
    invitations_expire,
)
from comrade.groups.tests.factories import GroupInvitationFactory, GroupMemberFactory

pytestmark = pytest.mark.django_db


def invite(group, inviter, email, capture):
    with capture(execute=True):
        return group_invite(group=group, inviter=inviter, invitee_email=email)


def test_a_member_invites_by_email_with_an_accept_link(group, member, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://pay.example"
    result = invite(group, member, " Friend@Example.com ", django_capture_on_commit_callbacks)

    invitation = result.invitation
    assert result.created
    assert (invitation.invitee_email, invitation.status, invitation.inviter) == (
        "friend@example.com",
        "PENDING",
        member,
    )
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert len(invitation.token) >= 40
    [email] = mail.outbox
    assert email.to == ["friend@example.com"]
    assert group.name in email.subject
    assert f"https://pay.example/groups/invitations/{invitation.token}/" in email.body


def test_the_expiry_is_configurable(group, admin, settings, django_capture_on_commit_callbacks):
    settings.GROUP_INVITATION_EXPIRY_DAYS = 2

    invitation = invite(group, admin, "x@example.com", django_capture_on_commit_callbacks).invitation

    assert timedelta(days=1, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=2)


def test_reinviting_a_pending_email_does_not_duplicate_but_resends(
    group, admin, member, django_capture_on_commit_callbacks
):
    first = invite(group, admin, "friend@example.com", django_capture_on_commit_callbacks)
    again = invite(group, member, "FRIEND@example.com", django_capture_on_commit_callbacks)

    assert (again.created, again.invitation.pk) == (False, first.invitation.pk)
    assert GroupInvitation.objects.filter(group=group).count() == 1
    assert len(mail.outbox) == 2


def test_an_expired_pending_invitation_is_replaced(group, admin, django_capture_on_commit_callbacks):
    old = GroupInvitationFactory(group=group, invitee_email="f@example.com", expires_at=timezone.now())

    new = invite(group, admin, "f@example.com", django_capture_on_commit_callbacks)

    assert new.created and new.invitation.pk != old.pk
    assert GroupInvitation.objects.get(pk=old.pk).status == "EXPIRED"


def test_refusals_write_nothing_and_send_nothing(
    group, admin, member, outsider, unchanged, django_capture_on_commit_callbacks
):
    cases = [
        (outsider, "a@example.com", NotFound, "not_found"),
        (admin, member.email, ApplicationError, "already_member"),
    ]
    for inviter, email, error_type, code in cases:
        with unchanged(), pytest.raises(error_type) as error:
            invite(group, inviter, email, django_capture_on_commit_callbacks)
        assert error.value.code == code
    assert mail.outbox == []


def test_a_full_group_cannot_invite(group, admin, unchanged, django_capture_on_commit_callbacks):
    GroupMemberFactory(group=group)  # 3 of BASIC's 3

    with unchanged(), pytest.raises(Forbidden) as error:
        invite(group, admin, "late@example.com", django_capture_on_commit_callbacks)
    assert error.value.code == "member_limit_reached"


def test_a_closed_group_cannot_invite(group, admin, unchanged, django_capture_on_commit_callbacks):
    group_close(group=group, admin=admin)

    with unchanged(), pytest.raises(ApplicationError) as error:
        invite(group, admin, "late@example.com", django_capture_on_commit_callbacks)
    assert error.value.code == "group_closed"


def test_accepting_makes_the_invitee_a_member(group, outsider):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email)

    membership = invitation_accept(invitation=invitation, user=outsider)

    assert (membership.group, membership.user, membership.role) == (group, outsider, "MEMBER")
    assert GroupInvitation.objects.get(pk=invitation.pk).status == "ACCEPTED"


def test_declining_leaves_the_membership_alone(group, outsider):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email)

    assert invitation_decline(invitation=invitation, user=outsider).status == "DECLINED"
    assert not GroupMembers.objects.filter(group=group, user=outsider).exists()


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ({"status": "DECLINED"}, "invitation_not_pending"),
        ({"status": "ACCEPTED"}, "invitation_not_pending"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "invitation_expired"),
    ],
)
def test_only_pending_unexpired_invitations_can_be_answered(group, outsider, unchanged, state, code):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email, **state)

    for answer in (invitation_accept, invitation_decline):
        with unchanged(), pytest.raises(ApplicationError) as error:
            answer(invitation=invitation, user=outsider)
        assert error.value.code == code


def test_accepting_into_a_full_group_is_refused(group, outsider, unchanged):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email)
    GroupMemberFactory(group=group)

    with unchanged(), pytest.raises(Forbidden):
        invitation_accept(invitation=invitation, user=outsider)


def test_the_job_expires_pending_invitations_past_their_time(group):
    now = timezone.now()
    due = GroupInvitationFactory(group=group, expires_at=now - timedelta(seconds=1))
    later = GroupInvitationFactory(group=group, expires_at=now + timedelta(hours=1))
    answered = GroupInvitationFactory(group=group, expires_at=now - timedelta(days=1), status="DECLINED")

    assert invitations_expire(now) == 1

    statuses = dict(GroupInvitation.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "EXPIRED", later.pk: "PENDING", answered.pk: "DECLINED"}
    assert invitations_expire(now) == 0


def test_the_job_is_registered():
    from comrade.core import jobs

    assert jobs.get("expire_invitations").run is invitations_expire


def test_cancel_marks_the_invitation_expired_and_refusals_change_nothing(group, admin, member, outsider, unchanged):
    from comrade.groups.services import invitation_cancel

    invitation = GroupInvitationFactory(group=group, inviter=admin)
    for user, code in ((member, "not_group_admin"), (outsider, "not_found")):
        with unchanged(), pytest.raises(ApplicationError) as refused:
            invitation_cancel(group=group, user=user, invitation_id=invitation.pk)
        assert refused.value.code == code

    cancelled = invitation_cancel(group=group, user=admin, invitation_id=invitation.pk)

    assert (cancelled.status, cancelled.responded_at is not None) == ("EXPIRED", True)
    with unchanged(), pytest.raises(ApplicationError) as again:
        invitation_cancel(group=group, user=admin, invitation_id=invitation.pk)
    assert again.value.code == "invitation_not_pending"
