from decimal import Decimal

from django.db import connection

from comrade.core.errors import field_error
from comrade.ledger.models import PaymentProfile, TransactionToken
from comrade.ledger.services import Leg, transaction_open_settled

MAX_ID = 2**63 - 1


WALLETS_SQL = (
    "SELECT p.user_id, p.account_id FROM ledger_paymentprofile p JOIN accounts_user u ON u.id = p.user_id"
    " WHERE p.user_id IN (%s, %s) AND u.is_active"
)


def _wallets(receiver_id: int, sender) -> tuple[int, int]:
    """The sender's and the receiver's wallet accounts in one query, refusing a receiver that does
    not exist, is not active or has no wallet, and a transfer to oneself. Raw SQL: on the hot path
    the ORM's building of this query cost more than the query (docs/performance.md)."""
    if not 0 < receiver_id <= MAX_ID:  # `IN` does not drop an out-of-range integer as `=` does
        raise field_error("receiver_id", "No active user with this id.", code="unknown_receiver")
    with connection.cursor() as cursor:
        cursor.execute(WALLETS_SQL, [sender.pk, receiver_id])
        by_user = dict(cursor.fetchall())
    if receiver_id not in by_user:
        raise field_error("receiver_id", "No active user with this id.", code="unknown_receiver")
    if receiver_id == sender.pk:
        raise field_error("receiver_id", "You cannot send money to yourself.", code="self_transfer")
    if sender.pk not in by_user:
        sender_account = PaymentProfile.objects.values_list("account_id", flat=True).get(user_id=sender.pk)
        return sender_account, by_user[receiver_id]
    return by_user[sender.pk], by_user[receiver_id]


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
    FAILED (insufficient funds, recorded with its reason, no balance changed). The receiver is
    checked and both wallets found in one query; the transaction, its audit trail, the balances and
    the entries are written in one database transaction (ledger.services.transaction_open_settled)."""
    sender_account, receiver_account = _wallets(receiver_id, sender)
    return transaction_open_settled(
        legs=[Leg(sender_account, -amount), Leg(receiver_account, amount)],
        sender=sender,
        receiver_id=receiver_id,
        amount=amount,
        transaction_type=TransactionToken.Type.TRANSFER,
        payment_method=TransactionToken.PaymentMethod.INTERNAL,
        description=description,
        metadata=metadata or {},
    )
