"""What happens when money paid through an external provider settles into its destination.

The gateway flow settles a verified payment in one database transaction, in this order:

1. `prepare(txn)`: the handler registered for the transaction's type locks the row that owns the
   destination (a group, a product) and checks that it can still take the money. If it cannot (the
   group was closed, the product deleted while the customer paid), it raises `Refused`, and the
   gateway credits the money to the payer's wallet instead, with a linked transaction that says why.
2. The gateway posts the journal (provider clearing -> destination account).
3. `settled(txn)`: the handler writes its own records (a contribution, a purchase) exactly as an
   internal payment would.

Taking the owner's lock in step 1, before the ledger accounts are locked in step 2, keeps one lock
order everywhere: owner row first, then ledger accounts. Apps register handlers in
AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass


class Refused(Exception):
    """The destination can no longer take the money; `code` names why (for example
    "group_closed", "product_unavailable")."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Handler:
    settled: Callable
    prepare: Callable | None = None


_handlers: dict[str, _Handler] = {}


def on_settled(transaction_type: str, handler: Callable, *, prepare: Callable | None = None) -> None:
    _handlers[transaction_type] = _Handler(settled=handler, prepare=prepare)


def prepare(txn) -> None:
    handler = _handlers.get(txn.transaction_type)
    if handler is not None and handler.prepare is not None:
        handler.prepare(txn)


def settled(txn) -> None:
    handler = _handlers.get(txn.transaction_type)
    if handler is not None:
        handler.settled(txn)
