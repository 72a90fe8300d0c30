"""The scheduler's entry point: execute every due standing order."""

from datetime import datetime

from comrade.standing_orders.services.batch import _execute_transfer_batch
from comrade.standing_orders.services.periods import _execute_group_orders


def standing_orders_execute_due(*, now: datetime) -> int:
    """Execute every order due at `now`, one period per order per pass, until none is due (so
    missed periods are caught up under the 'all' policy). Returns how many periods were handled.
    Orders paying a user are executed in batches (`_execute_transfer_batch`); orders paying a group
    one by one. An order that raises an unexpected error is logged, rolled back alone and left for
    the next run; safe to call from any number of schedulers at once."""
    handled, broken = 0, set()
    while True:
        progressed = _execute_transfer_batch(now, broken) + _execute_group_orders(now, broken)
        handled += progressed
        if not progressed:
            return handled
