"""Assertions shared by the group tests."""

from decimal import Decimal

from django.db import transaction

from comrade.core import settlement
from comrade.groups.models import (
    Contribution,
    GroupInvitation,
    GroupMembers,
    GroupTarget,
    PaymentGroups,
    RotationPayout,
)
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import Leg, post, system_account, transaction_open, transition


def snapshot(*, with_transactions: bool = True) -> dict:
    """Everything a group operation could change."""
    state = {
        "balances": list(LedgerAccount.objects.order_by("pk").values_list("pk", "balance")),
        "entries": LedgerEntry.objects.count(),
        "contributions": Contribution.objects.count(),
        "groups": list(
            PaymentGroups.objects.order_by("pk").values_list(
                "pk", "name", "is_active", "is_open", "deadline", "closed_at", "rotation_cycle"
            )
        ),
        "members": list(
            GroupMembers.objects.order_by("pk").values_list(
                "pk", "user_id", "role", "total_contributed", "total_received", "payout_position"
            )
        ),
        "rotation_payouts": list(
            RotationPayout.objects.order_by("pk").values_list("pk", "group_id", "cycle", "user_id")
        ),
        "targets": list(GroupTarget.objects.order_by("pk").values_list("pk", "current_amount", "is_achieved")),
        "invitations": list(GroupInvitation.objects.order_by("pk").values_list("pk", "status", "expires_at")),
    }
    if with_transactions:
        state["transactions"] = TransactionToken.objects.count()
    return state


def pot(group) -> Decimal:
    return LedgerAccount.objects.get(pk=group.pot_id).balance


def total_of(group, user) -> Decimal:
    return GroupMembers.objects.get(group=group, user=user).total_contributed


def wallet(user) -> Decimal:
    return balance_of(user)


def settle_external(group, user, amount: str, *, target=None, credit=None, prepare=True) -> TransactionToken:
    """Play the gateway's part for an EXTERNAL contribution that the provider confirmed: in one
    database transaction, settlement.prepare (unless `prepare=False`), clearing -> pot, settled."""
    amount = Decimal(amount)
    with transaction.atomic():
        txn = transaction_open(
            sender=user,
            receiver=user,
            amount=amount,
            payment_method="EXTERNAL",
            external_payment_provider="sandbox",
            transaction_type="CONTRIBUTION",
            metadata={"group_id": group.pk, "target_id": target.pk if target else None},
        )
        transition(txn, "AUTHORIZED")
        if prepare:
            settlement.prepare(txn)
        clearing = system_account(LedgerAccount.Kind.CLEARING, "sandbox")
        post(txn=txn, legs=[Leg(clearing.pk, -amount), Leg(credit or group.pot_id, amount)])
        transition(txn, "VERIFIED")
        settlement.settled(txn)
        transition(txn, "COMPLETED")
    return txn
