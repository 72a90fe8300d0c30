"""Money out of a group's pot, always through the ledger and only by a group admin: payouts to
members, the rotating-savings (merry-go-round) payout, purchases (the commerce app) and the
refunds when a group closes.

Target allocations rule: a target's `current_amount` is the part of the pot set aside for it.
Money leaving the pot is taken from the unallocated part first; when a payment needs more, the
allocations are reduced, newest target first, so that the targets never claim more than the pot
holds. `is_achieved` stays true once a target has been reached."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.core.money import ZERO
from comrade.groups.models import GroupMembers, GroupTarget, PaymentGroups, RotationPayout
from comrade.groups.services.common import (
    ensure_approved,
    ensure_not_closed,
    lock_group,
    member_of,
    money_param,
    require_admin,
)
from comrade.groups.services.rounds import ensure_round_complete
from comrade.groups.shares import split_pro_rata
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
    approved_request=None,
) -> TransactionToken:
    """Pay `amount` from the pot into `credit_account_id` (the commerce app's pot purchases).
    Returns the transaction COMPLETED, or FAILED when the pot holds too little (nothing else
    changes). With approvals required, `approved_request` is the approved "pot_purchase"."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        ensure_approved(
            group,
            action="pot_purchase",
            params=pot_purchase_params(amount, metadata),
            approved_request=approved_request,
        )
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


def pot_purchase_params(amount: Decimal, metadata: dict | None) -> dict:
    """What an approval of a pot purchase covers: the product, the quantity and the total."""
    meta = metadata or {}
    return {"product_id": meta.get("product_id"), "quantity": meta.get("quantity"), "amount": money_param(amount)}


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


REFUND_DESCRIPTIONS = {
    "group_closed": "Refund: {group} closed",
    "member_left": "Refund: you left {group}",
    "member_removed": "Refund: you were removed from {group}",
}


def pot_refund(*, group: PaymentGroups, sender, member: GroupMembers, share: Decimal, reason: str) -> TransactionToken:
    """Pay a member's share of the pot back into their wallet as a REFUND they see in their
    transactions. For callers that hold the group lock; a refund that cannot complete undoes the
    caller's whole database transaction."""
    txn = pot_pay(
        group=group,
        sender=sender,
        amount=share,
        credit_account_id=wallet_account_id(member.user),
        transaction_type=Type.REFUND,
        receiver=member.user,
        description=REFUND_DESCRIPTIONS[reason].format(group=group.name),
        metadata={"reason": reason},
    )
    if txn.status != Status.COMPLETED:
        raise ApplicationError("refund_failed", f"Could not refund {member.user}: {txn.failure_reason}")
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
    *,
    group: PaymentGroups,
    admin,
    member_user,
    amount: Decimal,
    description: str = "",
    approved_request=None,
) -> TransactionToken:
    """An admin pays a member from the pot into the member's wallet (with approvals required,
    only as the execution of the approved "payout" request)."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        user_id = getattr(member_user, "pk", member_user)
        params = {"user_id": user_id, "amount": money_param(amount), "description": description}
        ensure_approved(group, action="payout", params=params, approved_request=approved_request)
        membership = member_of(group, user_id)
        txn = pot_pay(
            group=group,
            sender=admin,
            amount=amount,
            credit_account_id=wallet_account_id(membership.user),
            transaction_type=Type.PAYOUT,
            receiver=membership.user,
            description=description or f"Payout from {group.name}",
        )
        _count_received(membership, txn)
        return txn


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


def group_rotation_payout(
    *, group: PaymentGroups, admin, amount: Decimal | None = None, approved_request=None
) -> TransactionToken:
    """Pay the next member in the order who has not received in the current cycle; when everyone
    has, a new cycle starts. The amount defaults to the whole pot (allocations are reduced by the
    rule above). A FAILED payout (pot too small) does not count as received. With approvals
    required, only as the execution of the approved "rotation_payout" request."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        ensure_round_complete(group)
        params = {"amount": money_param(amount)}
        ensure_approved(group, action="rotation_payout", params=params, approved_request=approved_request)
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
            _record_rotation_payout(group, recipient, txn)
            _count_received(recipient, txn)
        return txn


def _next_in_rotation(group: PaymentGroups) -> GroupMembers:
    """The first member in the order whose user has not received in the current cycle (under
    any membership: leaving and rejoining does not make them wait their turn again)."""
    ordered = list(
        GroupMembers.objects.select_related("user")
        .filter(group=group, payout_position__isnull=False)
        .order_by("payout_position", "id")
    )
    if not ordered:
        raise ApplicationError("rotation_not_set", "Set the payout order first.")
    paid = set(received_in_cycle(group, group.rotation_cycle))
    waiting = [m for m in ordered if m.user_id not in paid]
    if not waiting:
        group.rotation_cycle += 1
        group.save(update_fields=["rotation_cycle", "updated_at"])
        waiting = ordered
    return waiting[0]


def received_in_cycle(group: PaymentGroups, cycle: int) -> list[int]:
    """The ids of the users who received the rotation payout in `cycle`."""
    return list(RotationPayout.objects.filter(group=group, cycle=cycle).values_list("user_id", flat=True))


def _record_rotation_payout(group: PaymentGroups, recipient: GroupMembers, txn: TransactionToken) -> None:
    """The unique (group, cycle, user) constraint is the last word: a second payout to the same
    user in one cycle rolls the whole payout back."""
    try:
        with transaction.atomic():
            RotationPayout.objects.create(group=group, cycle=group.rotation_cycle, user=recipient.user, transaction=txn)
    except IntegrityError as exc:
        raise ApplicationError(
            "already_received", f"{recipient.user} has already received in cycle {group.rotation_cycle}."
        ) from exc


def _count_received(membership: GroupMembers, txn: TransactionToken) -> None:
    if txn.status == Status.COMPLETED:
        GroupMembers.objects.filter(pk=membership.pk).update(total_received=F("total_received") + txn.amount)


def member_balances(group: PaymentGroups) -> list[tuple[GroupMembers, Decimal]]:
    """Each current member's balance in the group: what the membership contributed net of what
    the pot paid it back, never below 0, earliest joined first. Read it with the group locked
    (every writer of these totals holds that lock), after locking the pot."""
    members = GroupMembers.objects.select_related("user").filter(group=group).order_by("joined_at", "id")
    return [(m, member_balance(m)) for m in members]


def member_balance(membership: GroupMembers) -> Decimal:
    return max(membership.total_contributed - membership.total_received, ZERO)


def refund_shares(group: PaymentGroups, pot: Decimal) -> list[tuple[GroupMembers, Decimal]]:
    """What each current member gets back from `pot`: a largest-remainder split in proportion to
    their balances (equal when nobody has a balance). Used by close, and by leaving and removal
    (which pay the member their share, capped at their balance), so both follow one rule."""
    return split_pro_rata(pot, member_balances(group))
