"""Money out of a group's pot, always through the ledger and only by a group admin: payouts to
members, the rotating-savings (merry-go-round) payout, purchases (the commerce app) and the
refunds when a group closes.

Target allocations rule: a target's `current_amount` is the part of the pot set aside for it.
Money leaving the pot is taken from the unallocated part first; when a payment needs more, the
allocations are reduced, newest target first, so that the targets never claim more than the pot
holds. `is_achieved` stays true once a target has been reached."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.core.money import ZERO
from comrade.groups.models import GroupMembers, GroupTarget, PaymentGroups
from comrade.groups.services.common import ensure_not_closed, lock_group, member_of, require_admin
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.services import Leg, settle, transaction_open, wallet_account_id

Type = TransactionToken.Type
Status = TransactionToken.Status


def group_pot_pay(
    *,
    group: PaymentGroups,
    admin,
    amount: Decimal,
    credit_account_id: int,
    transaction_type: str,
    receiver=None,
    description: str = "",
    metadata: dict | None = None,
) -> TransactionToken:
    """Pay `amount` from the pot into `credit_account_id`. Returns the transaction COMPLETED, or
    FAILED when the pot holds too little (nothing else changes)."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        return pot_pay(
            group=group,
            sender=admin,
            amount=amount,
            credit_account_id=credit_account_id,
            transaction_type=transaction_type,
            receiver=receiver,
            description=description,
            metadata=metadata,
        )


def pot_pay(
    *,
    group: PaymentGroups,
    sender,
    amount: Decimal,
    credit_account_id: int,
    transaction_type: str,
    receiver=None,
    description: str = "",
    metadata: dict | None = None,
) -> TransactionToken:
    """The movement itself, for callers that hold the group lock and checked the rights."""
    if credit_account_id == group.pot_id:
        raise ApplicationError("invalid_destination", "The pot cannot pay itself.")
    if amount <= 0:
        raise ApplicationError("invalid_amount", "The amount must be positive.", fields={"amount": ["Must be > 0."]})
    txn = transaction_open(
        sender=sender,
        receiver=receiver,
        amount=amount,
        currency=group.currency,
        transaction_type=transaction_type,
        payment_method=TransactionToken.PaymentMethod.INTERNAL,
        description=description or f"Payment from {group.name}",
        metadata={**(metadata or {}), "group_id": group.pk},
    )
    txn = settle(txn, [Leg(group.pot_id, -amount), Leg(credit_account_id, amount)])
    if txn.status == Status.COMPLETED:
        fit_allocations(group)
    return txn


def fit_allocations(group: PaymentGroups) -> None:
    """Reduce target allocations, newest first, until they fit in the pot's balance."""
    balance = pot_balance(group)
    targets = list(GroupTarget.objects.select_for_update().filter(group=group).order_by("-id"))
    excess = sum((t.current_amount for t in targets), ZERO) - balance
    changed = []
    for target in targets:
        if excess <= 0:
            break
        cut = min(target.current_amount, excess)
        if cut > 0:
            target.current_amount -= cut
            target.updated_at = timezone.now()
            excess -= cut
            changed.append(target)
    GroupTarget.objects.bulk_update(changed, ["current_amount", "updated_at"])


def pot_balance(group: PaymentGroups) -> Decimal:
    return LedgerAccount.objects.values_list("balance", flat=True).get(pk=group.pot_id)


def allocated(group: PaymentGroups) -> Decimal:
    return GroupTarget.objects.filter(group=group).aggregate(total=Sum("current_amount"))["total"] or ZERO


def group_payout(
    *, group: PaymentGroups, admin, member_user, amount: Decimal, description: str = ""
) -> TransactionToken:
    """An admin pays a member from the pot into the member's wallet."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        membership = member_of(group, getattr(member_user, "pk", member_user))
        return pot_pay(
            group=group,
            sender=admin,
            amount=amount,
            credit_account_id=wallet_account_id(membership.user),
            transaction_type=Type.PAYOUT,
            receiver=membership.user,
            description=description or f"Payout from {group.name}",
        )


def group_rotation_set(*, group: PaymentGroups, admin, order: list[int]) -> list[GroupMembers]:
    """Set the merry-go-round order: every current member exactly once. Who already received in
    the current cycle is kept; members who join later are appended at the end."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        members = {m.user_id: m for m in GroupMembers.objects.filter(group=group)}
        if len(order) != len(set(order)) or set(order) != set(members):
            raise ApplicationError(
                "invalid_rotation_order",
                "The order must list every member of the group exactly once.",
                fields={"order": ["List every member's user id exactly once."]},
            )
        for position, user_id in enumerate(order, start=1):
            members[user_id].payout_position = position
        GroupMembers.objects.bulk_update(members.values(), ["payout_position"])
        return sorted(members.values(), key=lambda m: m.payout_position)


def group_rotation_payout(*, group: PaymentGroups, admin, amount: Decimal | None = None) -> TransactionToken:
    """Pay the next member in the order who has not received in the current cycle; when everyone
    has, a new cycle starts. The amount defaults to the whole pot (allocations are reduced by the
    rule above). A FAILED payout (pot too small) does not count as received."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        recipient = _next_in_rotation(group)
        amount = amount if amount is not None else pot_balance(group)
        if amount <= 0:
            raise ApplicationError("pot_empty", "The group's pot is empty.")
        txn = pot_pay(
            group=group,
            sender=admin,
            amount=amount,
            credit_account_id=wallet_account_id(recipient.user),
            transaction_type=Type.PAYOUT,
            receiver=recipient.user,
            description=f"Rotation payout from {group.name}",
            metadata={"rotation_cycle": group.rotation_cycle, "payout_position": recipient.payout_position},
        )
        if txn.status == Status.COMPLETED:
            recipient.last_payout_cycle = group.rotation_cycle
            recipient.save(update_fields=["last_payout_cycle"])
        return txn


def _next_in_rotation(group: PaymentGroups) -> GroupMembers:
    ordered = list(
        GroupMembers.objects.select_related("user")
        .filter(group=group, payout_position__isnull=False)
        .order_by("payout_position", "id")
    )
    if not ordered:
        raise ApplicationError("rotation_not_set", "Set the payout order first.")
    waiting = [m for m in ordered if m.last_payout_cycle < group.rotation_cycle]
    if not waiting:
        group.rotation_cycle += 1
        group.save(update_fields=["rotation_cycle", "updated_at"])
        waiting = ordered
    return waiting[0]
