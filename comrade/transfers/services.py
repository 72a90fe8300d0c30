from decimal import Decimal

from comrade.core.errors import field_error
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import ReceiverRefused, transfer_open_settled

MAX_ID = 2**63 - 1


REFUSALS = {
    "unknown_receiver": "No active user with this id.",
    "self_transfer": "You cannot send money to yourself.",
}


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
    checked, and the transaction, its audit trail, the balances and the entries written, by
    ledger.services.transfer_open_settled: one database call on PostgreSQL."""
    if not 0 < receiver_id <= MAX_ID:  # beyond a 64-bit key: no such user, and no query to overflow
        raise field_error("receiver_id", REFUSALS["unknown_receiver"], code="unknown_receiver")
    try:
        return transfer_open_settled(
            sender_id=sender.pk,
            receiver_id=receiver_id,
            amount=amount,
            transaction_type=TransactionToken.Type.TRANSFER,
            payment_method=TransactionToken.PaymentMethod.INTERNAL,
            description=description,
            metadata=metadata or {},
        )
    except ReceiverRefused as refused:
        raise field_error("receiver_id", REFUSALS[refused.code], code=refused.code) from None
