"""A group whose money needs several approvals: its owner (ADMIN), two TREASURERs and a MEMBER
with savings in the pot."""

from dataclasses import dataclass
from decimal import Decimal

from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.groups.services import approval_approve, group_contribute
from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory

TREASURER = GroupMembers.Role.TREASURER


@dataclass
class Council:
    group: PaymentGroups
    admin: object
    treasurer: object
    treasurer2: object
    member: object


def council(make_user, *, approvals_required: int = 2, group_type: str = "SAVINGS") -> Council:
    admin = make_user(balance="500.00")
    treasurer, treasurer2 = make_user(balance="100.00"), make_user(balance="100.00")
    member = make_user(balance="300.00")
    group = PaymentGroupFactory(admin=admin, name="Chama", group_type=group_type)
    GroupMemberFactory(group=group, user=treasurer, role=TREASURER)
    GroupMemberFactory(group=group, user=treasurer2, role=TREASURER)
    GroupMemberFactory(group=group, user=member)
    group_contribute(group=group, user=member, amount=Decimal("200.00"))
    group_contribute(group=group, user=admin, amount=Decimal("100.00"))
    PaymentGroups.objects.filter(pk=group.pk).update(approvals_required=approvals_required)
    group.refresh_from_db()
    return Council(group=group, admin=admin, treasurer=treasurer, treasurer2=treasurer2, member=member)


def approve_all(c: Council, request, approvers=None):
    for approver in approvers or [c.treasurer, c.treasurer2][: c.group.approvals_required]:
        request = approval_approve(group=c.group, approver=approver, request_id=request.pk)
    return request
