"""Membership: joining (open group or invitation), leaving, removal and roles.

A member who leaves or is removed takes their balance with them: in the same database transaction
the pot refunds them what a close would give them at that moment (`refund_shares`), capped at
their balance (contributions net of what the pot paid them back). So nobody can remove a member
and then share that member's money among the others. The group's owner (`group.admin`) cannot
leave, be removed or lose the ADMIN role."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from comrade import limits
from comrade.core.errors import ApplicationError, NotFound
from comrade.groups.models import GroupInvitation, GroupMembers, PaymentGroups
from comrade.groups.services.common import (
    approvers_count,
    ensure_approved,
    ensure_enough_approvers,
    ensure_not_closed,
    lock_group,
    member_of,
    require_admin,
    require_member,
)
from comrade.groups.services.pot import member_balance, pot_refund, refund_shares
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import lock_accounts, wallet_account_id

UNVERIFIED_JOIN = "Verify your email address before joining with an invitation sent to it."


def group_join(*, group: PaymentGroups, user) -> GroupMembers:
    """Join with a pending, unexpired invitation for the user's email (which becomes ACCEPTED) or
    a group its admin made open to join. Anyone else is told the group does not exist."""
    with transaction.atomic():
        group = lock_group(group)
        invitation = pending_invitation(group, user.email)
        already = GroupMembers.objects.filter(group=group, user=user).exists()
        if not (already or invitation or group.is_open):
            raise NotFound("No such payment group.")
        if invitation is not None and not user.email_verified:
            if not (already or group.is_open):
                raise ApplicationError("email_not_verified", UNVERIFIED_JOIN, status_code=403)
            invitation = None  # an unproven address does not use up the invitation sent to it
        membership = member_add(group=group, user=user)
        if invitation is not None:
            invitation_mark(invitation, GroupInvitation.Status.ACCEPTED)
        return membership


def member_add(*, group: PaymentGroups, user, role: str = GroupMembers.Role.MEMBER) -> GroupMembers:
    """Add a member to a locked group: refuses a closed group, a second membership and a group
    that is full for its admin's tier. Joins the end of the rotation order if one is set."""
    ensure_not_closed(group)
    if GroupMembers.objects.filter(group=group, user=user).exists():
        raise ApplicationError("already_member", "You are already a member of this group.")
    limits.check_group_members(group.admin, member_count=GroupMembers.objects.filter(group=group).count())
    last = GroupMembers.objects.filter(group=group).aggregate(last=Max("payout_position"))["last"]
    try:
        with transaction.atomic():
            return GroupMembers.objects.create(
                group=group, user=user, role=role, payout_position=None if last is None else last + 1
            )
    except IntegrityError as exc:
        raise ApplicationError("already_member", "You are already a member of this group.") from exc


def pending_invitation(group: PaymentGroups, email: str) -> GroupInvitation | None:
    return (
        GroupInvitation.objects.select_for_update()
        .filter(
            group=group,
            invitee_email__iexact=email,
            status=GroupInvitation.Status.PENDING,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def invitation_mark(invitation: GroupInvitation, status: str) -> GroupInvitation:
    invitation.status = status
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    return invitation


def group_leave(*, group: PaymentGroups, user) -> TransactionToken | None:
    """Leave the group; returns the REFUND of the member's balance, if any."""
    with transaction.atomic():
        group = lock_group(group)
        membership = require_member(group, user)
        if group.admin_id == user.pk:
            raise ApplicationError("owner_cannot_leave", "The group's owner cannot leave it; close the group instead.")
        _keep_enough_approvers(group, membership, role=None, field="group")
        return _member_out(group, membership, sender=user, reason="member_left")


def group_member_remove(*, group: PaymentGroups, admin, user_id: int, approved_request=None) -> TransactionToken | None:
    """Remove a member; returns the REFUND of the member's balance, if any. With approvals
    required, removing a member who holds a balance or an approver is a "remove_member" request."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        membership = member_of(group, user_id)
        if membership.user_id == group.admin_id:
            raise ApplicationError("cannot_remove_owner", "The group's owner cannot be removed.")
        _keep_enough_approvers(group, membership, role=None, field="user_id")
        if removal_needs_approval(membership):
            params = {"user_id": membership.user_id}
            ensure_approved(group, action="remove_member", params=params, approved_request=approved_request)
        return _member_out(group, membership, sender=admin, reason="member_removed")


def _member_out(group: PaymentGroups, membership: GroupMembers, *, sender, reason: str) -> TransactionToken | None:
    """Refund the member's share (group locked by the caller; the ledger then locks the pot and
    the wallet), then delete the membership."""
    share = member_refund(group, membership)
    refund = None
    if share > 0:
        refund = pot_refund(group=group, sender=sender, member=membership, share=share, reason=reason)
    membership.delete()
    return refund


def member_refund(group: PaymentGroups, membership: GroupMembers) -> Decimal:
    """The member's part of a close at this moment, never more than their balance. Locks the pot
    and the member's wallet (after the group, which the caller holds) before reading."""
    accounts = lock_accounts([group.pot_id, wallet_account_id(membership.user)])
    shares = dict((m.pk, share) for m, share in refund_shares(group, accounts[group.pot_id].balance))
    return min(shares[membership.pk], member_balance(membership))


def removal_needs_approval(membership: GroupMembers) -> bool:
    """Removal takes the member's balance out of the pot, and removing an approver weakens the
    group's oversight: with approvals required, either needs them."""
    return member_balance(membership) > 0 or membership.is_approver


def demotion(membership: GroupMembers, role: str) -> bool:
    return membership.is_approver and role not in GroupMembers.APPROVER_ROLES


def _keep_enough_approvers(group: PaymentGroups, membership: GroupMembers, *, role: str | None, field: str) -> None:
    """Leaving, removal or a demotion of an approver must not leave too few approvers for the
    group's approvals_required (requests could never pass)."""
    if membership.is_approver and (role is None or role not in GroupMembers.APPROVER_ROLES):
        ensure_enough_approvers(
            group, approvers=approvers_count(group) - 1, required=group.approvals_required, field=field
        )


def group_member_role_set(
    *, group: PaymentGroups, admin, user_id: int, role: str, approved_request=None
) -> GroupMembers:
    """Set a member's role. With approvals required, demoting an approver (ADMIN or TREASURER to
    MEMBER) is a "set_role" request, and refused when too few approvers would be left."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        membership = member_of(group, user_id)
        if membership.user_id == group.admin_id and role != GroupMembers.Role.ADMIN:
            raise ApplicationError("owner_role_fixed", "The group's owner is always an admin.")
        _keep_enough_approvers(group, membership, role=role, field="role")
        if demotion(membership, role):
            params = {"user_id": membership.user_id, "role": role}
            ensure_approved(group, action="set_role", params=params, approved_request=approved_request)
        membership.role = role
        membership.save(update_fields=["role"])
        return membership
