"""How every money-moving endpoint answers with a transaction. A FAILED attempt is kept for the
audit trail, so it is answered (not raised, which would roll it back) in the error shape with the
transaction attached."""

from rest_framework import status
from rest_framework.response import Response

from comrade.core.errors import error_body
from comrade.ledger.models import FailureCode, TransactionToken
from comrade.ledger.serializers import TransactionSerializer
from comrade.ledger.services import failed_for_funds

Status = TransactionToken.Status


def failed_transaction_response(txn: TransactionToken) -> Response:
    """400 insufficient_funds (wallet or pot), or 502 provider_error when a provider refused or
    could not be reached."""
    data = TransactionSerializer(txn).data
    if failed_for_funds(txn):
        body = error_body(
            "insufficient_funds", txn.failure_reason, {"amount": ["Insufficient balance."]}, transaction=data
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    body = error_body("provider_error", txn.failure_reason or "The payment failed.", transaction=data)
    return Response(body, status=status.HTTP_502_BAD_GATEWAY)


def transaction_response(txn: TransactionToken, *, success_status: int = status.HTTP_201_CREATED) -> Response:
    """The transaction with `success_status`, unless it FAILED or its provider could not be reached
    (a PENDING payment, or a held AUTHORIZED payout, that carries a failure reason)."""
    unreachable = (
        txn.status in (Status.PENDING, Status.AUTHORIZED) and txn.failure_code == FailureCode.PROVIDER_UNAVAILABLE
    )
    if txn.status == Status.FAILED or unreachable:
        return failed_transaction_response(txn)
    return Response(TransactionSerializer(txn).data, status=success_status)
