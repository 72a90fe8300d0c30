"""What happens when money paid through an external provider settles into its destination.

The gateway flow posts the ledger journal (provider clearing -> destination account) and then, in
the same database transaction, calls the handler registered for the transaction's type, so that
a group contribution or a purchase gets its own records exactly as an internal one would.
Apps register handlers in AppConfig.ready()."""

from collections.abc import Callable

_handlers: dict[str, Callable] = {}


def on_settled(transaction_type: str, handler: Callable) -> None:
    _handlers[transaction_type] = handler


def settled(txn) -> None:
    handler = _handlers.get(txn.transaction_type)
    if handler is not None:
        handler(txn)
