"""Guards shared by the group services: who may act on a group, and whether it takes money."""

from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import GroupMembers, PaymentGroups


def lock_group(group: PaymentGroups) -> PaymentGroups:
    """Every writer of a group's money or membership locks the group row first, then the ledger
    accounts (in pk order, by the ledger), then targets and member rows: one fixed order."""
    return PaymentGroups.objects.select_for_update(of=("self",)).select_related("pot", "admin").get(pk=group.pk)


def require_member(group: PaymentGroups, user) -> GroupMembers:
    """Non-members do not learn that the group exists."""
    membership = GroupMembers.objects.filter(group=group, user=user).first()
    if membership is None:
        raise NotFound("No such payment group.")
    return membership


def require_admin(group: PaymentGroups, user) -> GroupMembers:
    membership = require_member(group, user)
    if not membership.is_admin:
        raise Forbidden("not_group_admin", "Only an admin of this group may do this.")
    return membership


def ensure_not_closed(group: PaymentGroups) -> None:
    if group.is_closed:
        raise ApplicationError("group_closed", "This group is closed.")


def ensure_accepting_contributions(group: PaymentGroups) -> None:
    ensure_not_closed(group)
    if not group.is_active:
        raise ApplicationError("group_inactive", "This group is not accepting contributions.")
    if group.deadline is not None and timezone.localdate() > group.deadline:
        raise ApplicationError(
            "group_deadline_passed",
            f"This group stopped accepting contributions after {group.deadline.isoformat()}.",
        )


def member_of(group: PaymentGroups, user_id) -> GroupMembers:
    """A member named in a request by an admin (payout, removal, role change)."""
    membership = GroupMembers.objects.select_related("user").filter(group=group, user_id=user_id).first()
    if membership is None:
        raise ApplicationError(
            "not_a_member", "This user is not a member of the group.", fields={"user_id": ["Not a member."]}
        )
    return membership
