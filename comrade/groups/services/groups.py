"""Creating, changing and closing payment groups."""

import uuid
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from comrade import limits
from comrade.core.errors import field_error
from comrade.groups.models import GroupInvitation, GroupMembers, PaymentGroups
from comrade.groups.services.common import (
    approvers_count,
    ensure_approved,
    ensure_enough_approvers,
    ensure_not_closed,
    lock_group,
    require_admin,
)
from comrade.groups.services.pot import pot_refund, refund_shares
from comrade.ledger.models import LedgerAccount, PaymentProfile, TransactionToken
from comrade.ledger.services import lock_accounts, system_account

UPDATABLE_FIELDS = {"name", "description", "target_amount", "deadline", "is_open", "is_active"}


def group_create(
    *,
    admin,
    name: str,
    group_type: str,
    description: str = "",
    target_amount: Decimal | None = None,
    deadline: date | None = None,
    is_open: bool = False,
) -> PaymentGroups:
    """A group with its own pot; the creator becomes its ADMIN member. Counts against the
    creator's tier: groups they administer that are not closed."""
    _check_deadline(deadline)
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=admin.pk).first()
        open_groups = PaymentGroups.objects.filter(admin=admin, closed_at__isnull=True).count()
        limits.check_group_create(admin, groups_created=open_groups)
        pot = system_account(LedgerAccount.Kind.GROUP_POT, uuid.uuid4().hex, allow_negative=False)
        group = PaymentGroups.objects.create(
            admin=admin,
            name=name,
            group_type=group_type,
            description=description,
            target_amount=target_amount,
            deadline=deadline,
            is_open=is_open,
            pot=pot,
        )
        GroupMembers.objects.create(group=group, user=admin, role=GroupMembers.Role.ADMIN)
        return group


def group_update(*, group: PaymentGroups, admin, **fields) -> PaymentGroups:
    """Change the group's details (name, description, target_amount, deadline, is_open,
    is_active). Extending the deadline reopens contributions; a closed group cannot change."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"Not updatable: {sorted(unknown)}")
    if "deadline" in fields:
        _check_deadline(fields["deadline"])
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        for name, value in fields.items():
            setattr(group, name, value)
        group.save(update_fields=[*fields, "updated_at"])
        return group


def group_close(*, group: PaymentGroups, admin, approved_request=None) -> list[TransactionToken]:
    """Close the group and refund what is left in the pot to its members, in proportion to their
    balances (`refund_shares`: contributions net of what the pot paid them back; largest
    remainder to the cent, ties to the earliest joined; equal when nobody has a balance). One
    REFUND transaction per member who gets money, all in one database transaction. The balances
    are read after the group and the pot are locked, so a contribution settling at the same
    moment is either fully in (pot and weights) or refused. With approvals required, only as the
    execution of the approved "close" request."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        ensure_approved(group, action="close", params={}, approved_request=approved_request)
        wallets = dict(
            PaymentProfile.objects.filter(user__group_memberships__group=group).values_list("user_id", "account_id")
        )
        accounts = lock_accounts([group.pot_id, *wallets.values()])
        shares = refund_shares(group, accounts[group.pot_id].balance)
        refunds = [
            pot_refund(group=group, sender=admin, member=member, share=share, reason="group_closed")
            for member, share in shares
            if share > 0
        ]
        group.is_active = False
        group.closed_at = timezone.now()
        group.save(update_fields=["is_active", "closed_at", "updated_at"])
        GroupInvitation.objects.filter(group=group, status=GroupInvitation.Status.PENDING).update(
            status=GroupInvitation.Status.EXPIRED
        )
        return refunds


def group_approvals_required_set(
    *, group: PaymentGroups, admin, approvals_required: int, approved_request=None
) -> PaymentGroups:
    """How many approvals money leaving the pot needs (1 to 3). Raising it is the admin's call;
    lowering it from above 1 weakens the group's oversight, so it needs the approvals it removes."""
    if not 1 <= approvals_required <= 3:
        raise field_error("approvals_required", "Choose 1, 2 or 3.", code="invalid_approvals_required")
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        ensure_enough_approvers(
            group, approvers=approvers_count(group), required=approvals_required, field="approvals_required"
        )
        if approvals_required < group.approvals_required:
            params = {"approvals_required": approvals_required}
            ensure_approved(group, action="set_approvals_required", params=params, approved_request=approved_request)
        group.approvals_required = approvals_required
        group.save(update_fields=["approvals_required", "updated_at"])
        return group


def _check_deadline(deadline: date | None) -> None:
    if deadline is not None and deadline < timezone.localdate():
        raise field_error("deadline", "The deadline cannot be in the past.", code="deadline_in_past")
