"""What managing and executing standing orders share: the order's statuses and moving it to a period."""

from datetime import date

from django.utils import timezone

from comrade.standing_orders import schedule
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution

Status = StandingOrder.Status
Run = StandingOrderExecution.Status


def _today() -> date:
    return timezone.now().date()


def _schedule_from(order: StandingOrder, day: date) -> None:
    """Point the order at its first period on or after `day` (or complete it if none is left)."""
    period = schedule.first_on_or_after(order.start_date, order.frequency, day, order.end_date)
    if period is None:
        _finish(order, Status.COMPLETED, "Every period up to the end date was handled.")
        return
    order.status, order.status_reason, order.is_active = Status.ACTIVE, "", True
    order.next_scheduled_for, order.next_execution = period, schedule.run_at(period)


def _finish(order: StandingOrder, status: str, reason: str = "") -> None:
    order.status, order.status_reason, order.is_active = status, reason, False
    order.next_scheduled_for = order.next_execution = None
