"""Standing orders: create, change, pause, resume, cancel, and execute the ones that are due.

Executing is exactly once per period. Orders paying a user are handled in batches: one database
transaction claims up to TRANSFER_BATCH due orders (SELECT ... FOR UPDATE SKIP LOCKED, so
concurrent schedulers share the due orders instead of queueing on them), pays them all with one
ledger call (`transactions_open_settled_many`: what each transfer stores is what `transfer_create`
stores, and an order short of funds fails alone) and records each period in
StandingOrderExecution, whose unique (order, scheduled_for) constraint refuses a second payment of a
period whatever happens. Orders paying a group, and every order of a batch that failed unexpectedly,
are handled one by one, each in its own transaction, through the group contribution or transfer
service.
"""

from comrade.standing_orders.services.execute import standing_orders_execute_due
from comrade.standing_orders.services.manage import (
    standing_order_cancel,
    standing_order_create,
    standing_order_pause,
    standing_order_preview,
    standing_order_resume,
    standing_order_update,
)

__all__ = [
    "standing_order_cancel",
    "standing_order_create",
    "standing_order_pause",
    "standing_order_preview",
    "standing_order_resume",
    "standing_order_update",
    "standing_orders_execute_due",
]
