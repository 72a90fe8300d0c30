"""Assertions shared by the group tests."""

from decimal import Decimal

from comrade.groups.models import Contribution, GroupInvitation, GroupMembers, GroupTarget, PaymentGroups
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of


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
                "pk", "user_id", "role", "total_contributed", "payout_position", "last_payout_cycle"
            )
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
