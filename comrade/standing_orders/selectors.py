from datetime import date

from django.db.models import QuerySet

from comrade.standing_orders import schedule
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution


def standing_orders_of(user) -> QuerySet[StandingOrder]:
    """The user's own orders, newest first; anyone else's are not there (so they answer 404)."""
    return StandingOrder.objects.filter(user=user).order_by("-id")


def upcoming_run_dates(order: StandingOrder, count: int = 5) -> list[date]:
    """The next `count` payment dates of an active order, from the period the scheduler runs next
    (`next_scheduled_for`), by the scheduler's own calendar rules; none for an order that is not
    active. Ends early at `end_date`."""
    day = order.next_scheduled_for if order.is_active else None
    days: list[date] = []
    while day is not None and len(days) < count:
        days.append(day)
        day = schedule.following(order.start_date, order.frequency, day, order.end_date)
    return days


def executions_of(order: StandingOrder) -> QuerySet[StandingOrderExecution]:
    """The order's periods, latest first, with their transactions ready to serialize."""
    return (
        order.executions.select_related("transaction__external")
        .prefetch_related("transaction__status_changes")
        .order_by("-scheduled_for")
    )


def executions_inconsistent() -> list[str]:
    """verify_ledger: a SUCCEEDED period must point at a COMPLETED transaction of its amount."""
    wrong = StandingOrderExecution.objects.filter(status=StandingOrderExecution.Status.SUCCEEDED).exclude(
        transaction__status="COMPLETED"
    )
    return [
        f"standing order {e.order_id}: period {e.scheduled_for} SUCCEEDED without a COMPLETED payment" for e in wrong
    ]
