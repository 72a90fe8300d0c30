"""Money into a group's pot: a member's contribution, optionally allocated to one of its targets.

INTERNAL contributions settle at once (wallet -> pot). EXTERNAL ones go through the gateway; when
the provider confirms, the gateway posts clearing -> pot and calls group_contribution_settled in
the same database transaction, which records the contribution exactly as an internal one."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from comrade.core import settlement
from comrade.core.errors import ApplicationError, NotFound
from comrade.groups.models import Contribution, GroupMembers, GroupTarget, PaymentGroups
from comrade.groups.services.common import ensure_accepting_contributions, ensure_not_closed, lock_group, require_member
from comrade.groups.services.dues import dues_contribution_count
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import Leg, settle, transaction_open, wallet_account_id

Type = TransactionToken.Type


def group_contribute(
    *,
    group: PaymentGroups,
    user,
    amount: Decimal,
    target: GroupTarget | None = None,
    description: str = "",
    metadata: dict | None = None,
) -> TransactionToken:
    """An INTERNAL contribution: wallet -> pot, the Contribution row, the member's total and the
    target's allocation in one database transaction. Returns the transaction COMPLETED, or FAILED
    (insufficient funds, nothing else written). Refusals (not a member, closed, inactive, past the
    deadline, target full) raise before anything is written."""
    wallet = wallet_account_id(user)
    with transaction.atomic():
        group = lock_group(group)
        membership, target = _check_contribution(group, user, amount, target)
        txn = transaction_open(
            sender=user,
            amount=amount,
            currency=group.currency,
            transaction_type=Type.CONTRIBUTION,
            payment_method=TransactionToken.PaymentMethod.INTERNAL,
            description=description or f"Contribution to {group.name}",
            metadata=_metadata(group, target, metadata),
        )
        txn = settle(txn, [Leg(wallet, -amount), Leg(group.pot_id, amount)])
        if txn.status == TransactionToken.Status.COMPLETED:
            _record(txn=txn, group=group, membership=membership, target=target)
        return txn


def group_contribute_external(
    *,
    group: PaymentGroups,
    user,
    amount: Decimal,
    provider: str,
    target: GroupTarget | None = None,
    description: str = "",
) -> TransactionToken:
    """Start an EXTERNAL contribution: checked like an internal one, then a PENDING payment at the
    provider whose settlement credits the pot (no row lock is held while the provider is called)."""
    from comrade.gateways.services import external_payment_start

    _, target = _check_contribution(group, user, amount, target)
    return external_payment_start(
        user=user,
        amount=amount,
        provider=provider,
        transaction_type=Type.CONTRIBUTION,
        credit_account_id=group.pot_id,
        description=description or f"Contribution to {group.name}",
        metadata=_metadata(group, target, None),
    )


def group_contribution_prepare(txn: TransactionToken) -> None:
    """Settlement step 1 for EXTERNAL contributions: lock the group row before the gateway locks
    the pot, so a close or a member removal cannot run between the pot being credited and the
    contribution being recorded. A group that has closed, or a payer who is no longer a member,
    cannot take the money: `Refused` makes the gateway credit it to the payer's wallet instead."""
    group_id = (txn.metadata or {}).get("group_id")
    if group_id is None:
        return
    group = PaymentGroups.objects.select_for_update(of=("self",)).filter(pk=group_id).first()
    if group is None or group.is_closed:
        raise settlement.Refused("group_closed", "This group is closed.")
    if not GroupMembers.objects.filter(group=group, user_id=txn.sender_id).exists():
        raise settlement.Refused("not_a_member", "The payer is no longer a member of this group.")


def group_contribution_settled(txn: TransactionToken) -> Contribution | None:
    """Settlement step 3 for EXTERNAL contributions (group and target ids in txn.metadata): the
    gateway has posted clearing -> pot; record the contribution once. It relies on the group lock
    taken by `group_contribution_prepare` in the same database transaction (locking the group
    here, after the pot, would invert the lock order); the checks below only guard a caller that
    skipped the prepare step, and make the gateway fail the payment."""
    group_id = (txn.metadata or {}).get("group_id")
    if group_id is None:
        return None
    existing = Contribution.objects.filter(transaction=txn).first()
    if existing is not None:
        return existing
    group = PaymentGroups.objects.filter(pk=group_id).first()
    if group is None or not txn.entries.filter(account_id=group.pot_id, amount=txn.amount).exists():
        raise ApplicationError("contribution_mismatch", "This payment did not credit the group's pot.")
    ensure_not_closed(group)
    membership = GroupMembers.objects.filter(group=group, user_id=txn.sender_id).first()
    if membership is None:
        raise ApplicationError("not_a_member", "The payer is no longer a member of this group.")
    target = GroupTarget.objects.filter(pk=txn.metadata.get("target_id"), group=group).first()
    return _record(txn=txn, group=group, membership=membership, target=target)


def _check_contribution(group, user, amount: Decimal, target) -> tuple[GroupMembers, GroupTarget | None]:
    membership = require_member(group, user)
    ensure_accepting_contributions(group)
    if amount <= 0:
        raise ApplicationError("invalid_amount", "The amount must be positive.", fields={"amount": ["Must be > 0."]})
    if target is not None:
        target = _target_with_room(group, target, amount)
    return membership, target


def _target_with_room(group, target: GroupTarget, amount: Decimal) -> GroupTarget:
    target = GroupTarget.objects.filter(pk=target.pk, group=group).first()
    if target is None:
        raise NotFound("No such target in this group.")
    if target.is_achieved:
        raise ApplicationError("target_achieved", "This target has already been reached.")
    room = target.target_amount - target.current_amount
    if amount > room:
        raise ApplicationError(
            "target_exceeded",
            f"This target needs only {room} more.",
            fields={"amount": [f"At most {room}."]},
        )
    return target


def _metadata(group, target, extra: dict | None) -> dict:
    return {**(extra or {}), "group_id": group.pk, "target_id": target.pk if target else None}


def _record(*, txn: TransactionToken, group, membership: GroupMembers, target: GroupTarget | None) -> Contribution:
    contribution = Contribution.objects.create(
        group=group,
        member_id=membership.user_id,
        membership=membership,
        amount=txn.amount,
        transaction=txn,
        target=target,
    )
    GroupMembers.objects.filter(pk=membership.pk).update(total_contributed=F("total_contributed") + txn.amount)
    if target is not None:
        _allocate(target, txn.amount)
    dues_contribution_count(contribution=contribution)
    return contribution


def _allocate(target: GroupTarget, amount: Decimal) -> None:
    """Allocate up to what the target still needs (an external payment that settles after the
    target filled up stays in the pot unallocated)."""
    target = GroupTarget.objects.select_for_update().get(pk=target.pk)
    target.current_amount += min(amount, max(target.target_amount - target.current_amount, Decimal(0)))
    target.is_achieved = target.is_achieved or target.current_amount >= target.target_amount
    target.save(update_fields=["current_amount", "is_achieved", "updated_at"])
