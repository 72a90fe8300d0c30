"""Guards shared by the group services: who may act on a group, and whether it takes money."""

from decimal import Decimal

from django.utils import timezone

from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.core.money import CENT
from comrade.groups.models import ApprovalRequest, GroupMembers, PaymentGroups


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


def require_approver(group: PaymentGroups, user) -> GroupMembers:
    membership = require_member(group, user)
    if not membership.is_approver:
        raise Forbidden("not_group_approver", "Only an ADMIN or TREASURER of this group may decide on requests.")
    return membership


def approvals_needed(group: PaymentGroups) -> bool:
    return group.approvals_required > 1


def ensure_approved(group: PaymentGroups, *, action: str, params: dict, approved_request) -> None:
    """The one gate in front of every way money leaves a pot (and every weakening of the group's
    oversight). With approvals required, the call must be the execution of an APPROVED request of
    this group for this action and exactly these arguments; the request is consumed here
    (APPROVED -> EXECUTED, a conditional update under the group lock), so it runs once. Any
    failure after this point rolls the consumption back with the rest."""
    if not approvals_needed(group):
        return
    consumed = approved_request is not None and (
        approved_request.group_id == group.pk
        and approved_request.action == action
        and approved_request.params == params
        and ApprovalRequest.objects.filter(
            pk=approved_request.pk, group=group, action=action, status=ApprovalRequest.Status.APPROVED
        ).update(status=ApprovalRequest.Status.EXECUTED)
        == 1
    )
    if not consumed:
        raise ApplicationError(
            "approval_required",
            f"This group needs {group.approvals_required} approvals for this: "
            f"POST /payments/payment-groups/{group.pk}/approvals/ with action {action!r}.",
            status_code=409,
            extra={"action": action},
        )


def money_param(amount) -> str | None:
    """Amounts in request params: a plain decimal string, two places when that is exact."""
    if amount is None:
        return None
    amount = Decimal(amount)
    return str(amount.quantize(CENT)) if amount == amount.quantize(CENT) else str(amount)


def approvers_count(group: PaymentGroups) -> int:
    return GroupMembers.objects.filter(group=group, role__in=GroupMembers.APPROVER_ROLES).count()


def ensure_enough_approvers(group: PaymentGroups, *, approvers: int, required: int, field: str) -> None:
    """A requester never approves their own request, so `required` approvals need at least
    `required` approvers besides the requester; otherwise no request could ever pass."""
    if required > 1 and approvers - 1 < required:
        raise ApplicationError(
            "too_few_approvers",
            f"{required} approvals need at least {required + 1} ADMINs or TREASURERs (the requester "
            f"cannot approve their own request); the group would have {approvers}.",
            fields={field: [f"At most {max(approvers - 1, 1)} with {approvers} approvers."]},
        )
