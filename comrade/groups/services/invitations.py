"""Invitations by email. Any member may invite (the spec does not restrict it to admins); the
email carries an accept link with an unguessable token, and the invitation expires after
GROUP_INVITATION_EXPIRY_DAYS. Re-inviting a pending address returns the pending invitation and
sends the email again instead of creating a second one.

An invitation is addressed to an inbox, so answering it needs proof of that inbox: either the
token from the emailed link (then any signed-in user holding it may accept or decline, and the
invitation is used up), or an account email equal to the invited address that its owner has
verified. Registering the invited address alone is not enough."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from comrade import limits
from comrade.accounts.services import ensure_email_verified
from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import GroupInvitation, GroupMembers, PaymentGroups
from comrade.groups.services.common import ensure_not_closed, lock_group, require_member
from comrade.groups.services.members import invitation_mark, member_add

logger = logging.getLogger(__name__)
Status = GroupInvitation.Status
INVITATION_NEEDS_VERIFIED_EMAIL = (
    "Verify your email address before accepting an invitation sent to it, or open the link in the invitation email."
)


@dataclass(frozen=True)
class InviteResult:
    invitation: GroupInvitation
    created: bool


def group_invite(*, group: PaymentGroups, inviter, invitee_email: str) -> InviteResult:
    email = invitee_email.strip().lower()
    with transaction.atomic():
        group = lock_group(group)
        require_member(group, inviter)
        ensure_not_closed(group)
        if GroupMembers.objects.filter(group=group, user__email__iexact=email).exists():
            raise ApplicationError(
                "already_member", "This person is already a member.", fields={"invitee_email": ["Already a member."]}
            )
        members = GroupMembers.objects.filter(group=group).count()
        limits.check_group_members(group.admin, member_count=members)
        result = _pending_or_new(group, inviter, email)
        invitation_id = result.invitation.pk
        transaction.on_commit(lambda: invitation_send(invitation_id), robust=True)
        return result


def _pending_or_new(group, inviter, email: str) -> InviteResult:
    pending = GroupInvitation.objects.filter(group=group, invitee_email=email, status=Status.PENDING).first()
    if pending is not None and pending.expires_at > timezone.now():
        return InviteResult(pending, created=False)
    if pending is not None:
        invitation_mark(pending, Status.EXPIRED)
    expires_at = timezone.now() + timedelta(days=settings.GROUP_INVITATION_EXPIRY_DAYS)
    try:
        with transaction.atomic():
            invitation = GroupInvitation.objects.create(
                group=group, inviter=inviter, invitee_email=email, expires_at=expires_at
            )
    except IntegrityError:
        return InviteResult(GroupInvitation.objects.get(group=group, invitee_email=email, status=Status.PENDING), False)
    return InviteResult(invitation, created=True)


def accept_url(invitation: GroupInvitation) -> str:
    """The web page where the invitee sees the group and who invited them, then accepts or
    declines (API clients POST to /payments/invitations/{token}/accept/ with the same token)."""
    return f"{settings.SITE_URL}{reverse('groups:invitation', kwargs={'key': invitation.token})}"


def invitation_send(invitation_id: int) -> None:
    invitation = GroupInvitation.objects.select_related("group", "inviter").get(pk=invitation_id)
    inviter = invitation.inviter.get_full_name() or invitation.inviter.email
    body = (
        f'{inviter} invited you to join the payment group "{invitation.group.name}" on Comrade Pay.\n\n'
        f"Open this link to see the group and accept or decline. Whoever is signed in when it is\n"
        f"used joins the group, once, so do not forward it:\n{accept_url(invitation)}\n\n"
        f"The invitation expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
    )
    send_mail(
        subject=f"{inviter} invited you to {invitation.group.name}",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.invitee_email],
    )


def invitation_accept(*, invitation: GroupInvitation, user, token: str | None = None) -> GroupMembers:
    """The user joins the group, proving the invited inbox by `token` or by a verified email."""
    require_inbox_proof(invitation=invitation, user=user, token=token)
    with transaction.atomic():
        group = lock_group(invitation.group)
        invitation = _locked_pending(invitation)
        membership = member_add(group=group, user=user)
        invitation_mark(invitation, Status.ACCEPTED)
        return membership


def invitation_decline(*, invitation: GroupInvitation, user, token: str | None = None) -> GroupInvitation:
    require_inbox_proof(invitation=invitation, user=user, token=token)
    with transaction.atomic():
        invitation = _locked_pending(invitation)
        return invitation_mark(invitation, Status.DECLINED)


def require_inbox_proof(*, invitation: GroupInvitation, user, token: str | None) -> None:
    """Anyone else learns nothing (404); the invitee by an unverified address gets 403
    `email_not_verified`, since registering an address does not prove owning it."""
    if token is not None:
        if not constant_time_compare(token, invitation.token):
            raise NotFound("No such invitation.")
        return
    if invitation.invitee_email.lower() != user.email.lower():
        raise NotFound("No such invitation.")
    ensure_email_verified(user, INVITATION_NEEDS_VERIFIED_EMAIL)


def _locked_pending(invitation: GroupInvitation) -> GroupInvitation:
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Status.PENDING:
        raise ApplicationError("invitation_not_pending", f"This invitation is already {invitation.status.lower()}.")
    if invitation.expires_at <= timezone.now():
        raise ApplicationError("invitation_expired", "This invitation has expired.")
    return invitation


def invitation_cancel(*, group: PaymentGroups, user, invitation_id: int) -> GroupInvitation:
    """An admin of the group, or whoever sent it, withdraws a pending invitation: it is marked
    EXPIRED (as a close does), so its link stops working. Other members get 403 `not_group_admin`."""
    with transaction.atomic():
        group = lock_group(group)
        membership = require_member(group, user)
        invitation = GroupInvitation.objects.select_for_update().filter(group=group, pk=invitation_id).first()
        if invitation is None:
            raise NotFound("No such invitation.")
        if not (membership.is_admin or invitation.inviter_id == user.pk):
            raise Forbidden("not_group_admin", "Only an admin of this group or the sender may cancel an invitation.")
        if invitation.status != Status.PENDING:
            raise ApplicationError("invitation_not_pending", f"This invitation is already {invitation.status.lower()}.")
        return invitation_mark(invitation, Status.EXPIRED)


def invitations_expire(now: datetime) -> int:
    """The "expire_invitations" job: PENDING invitations past their time become EXPIRED."""
    return GroupInvitation.objects.filter(status=Status.PENDING, expires_at__lte=now).update(
        status=Status.EXPIRED, responded_at=now
    )
