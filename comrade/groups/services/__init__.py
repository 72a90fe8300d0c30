"""Writes for payment groups, one function per business action (see the modules for the rules)."""

from comrade.groups.services.approvals import (
    Outcome,
    approval_approve,
    approval_reject,
    approval_request_create,
    approval_request_or_run,
    approvals_expire,
)
from comrade.groups.services.contributions import (
    group_contribute,
    group_contribute_external,
    group_contribution_prepare,
    group_contribution_settled,
)
from comrade.groups.services.groups import group_approvals_required_set, group_close, group_create, group_update
from comrade.groups.services.invitations import (
    InviteResult,
    group_invite,
    invitation_accept,
    invitation_cancel,
    invitation_decline,
    invitations_expire,
)
from comrade.groups.services.members import group_join, group_leave, group_member_remove, group_member_role_set
from comrade.groups.services.pot import (
    group_payout,
    group_pot_pay,
    group_rotation_payout,
    group_rotation_set,
)
from comrade.groups.services.targets import target_create

__all__ = [
    "InviteResult",
    "Outcome",
    "approval_approve",
    "approval_reject",
    "approval_request_create",
    "approval_request_or_run",
    "approvals_expire",
    "group_approvals_required_set",
    "group_close",
    "group_contribute",
    "group_contribute_external",
    "group_contribution_prepare",
    "group_contribution_settled",
    "group_create",
    "group_invite",
    "group_join",
    "group_leave",
    "group_member_remove",
    "group_member_role_set",
    "group_payout",
    "group_pot_pay",
    "group_rotation_payout",
    "group_rotation_set",
    "group_update",
    "invitation_accept",
    "invitation_cancel",
    "invitation_decline",
    "invitations_expire",
    "target_create",
]
