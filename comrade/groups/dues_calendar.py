"""Calendar arithmetic for dues periods, pure and database-free.

Period n starts on the n-th due date counted from `first_due_date` (n = 0 is the first) and ends
the day before period n + 1 starts. WEEKLY and MONTHLY reuse the standing orders' rule (a monthly
schedule started on the 31st falls due on the last day of shorter months and returns to the 31st).
"""

from datetime import date, timedelta

from comrade.standing_orders import schedule as standing

WEEKLY, MONTHLY, EVERY_N_DAYS = "WEEKLY", "MONTHLY", "EVERY_N_DAYS"


def due_date(first: date, frequency: str, interval_days: int | None, n: int) -> date:
    if frequency == EVERY_N_DAYS:
        return first + timedelta(days=n * interval_days)
    return standing.occurrence(first, frequency, n)


def period_end(first: date, frequency: str, interval_days: int | None, n: int) -> date:
    return due_date(first, frequency, interval_days, n + 1) - timedelta(days=1)


def latest_started(first: date, frequency: str, interval_days: int | None, count: int, today: date) -> int | None:
    """The index of the last of the first `count` periods that has started by `today`."""
    started = [n for n in range(count) if due_date(first, frequency, interval_days, n) <= today]
    return started[-1] if started else None
