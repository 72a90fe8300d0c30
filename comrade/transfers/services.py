from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from comrade.core.errors import field_error
from comrade.ledger.models import PaymentProfile, TransactionToken
from comrade.ledger.services import Leg, settle, transaction_open


def _receiver(receiver_id: int, sender):
    receiver = get_user_model().objects.filter(pk=receiver_id, is_active=True).first()
    if receiver is None:
        raise field_error("receiver_id", "No active user with this id.", code="unknown_receiver")
    if receiver.pk == sender.pk:
        raise field_error("receiver_id", "You cannot send money to yourself.", code="self_transfer")
    return receiver


def wallet_accounts(*users) -> list[int]:
    by_user = dict(PaymentProfile.objects.filter(user__in=users).values_list("user_id", "account_id"))
    return [by_user[user.pk] for user in users]


def transfer_create(
    *,
    sender,
    receiver_id: int,
    amount: Decimal,
    description: str = "",
    metadata: dict | None = None,
) -> TransactionToken:
    """An internal transfer through the four-step flow. Returns the transaction COMPLETED, or
    FAILED (insufficient funds, recorded with its reason, no balance changed)."""
    receiver = _receiver(receiver_id, sender)
    sender_account, receiver_account = wallet_accounts(sender, receiver)
    with transaction.atomic():
        txn = transaction_open(
            sender=sender,
            receiver=receiver,
            amount=amount,
            transaction_type=TransactionToken.Type.TRANSFER,
            payment_method=TransactionToken.PaymentMethod.INTERNAL,
            description=description,
            metadata=metadata or {},
        )
        return settle(txn, [Leg(sender_account, -amount), Leg(receiver_account, amount)])
