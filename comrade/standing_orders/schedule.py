"""Calendar arithmetic for standing orders, pure and database-free.

The n-th occurrence is always computed from `start_date` (start + n periods), never by adding a
period to the previous occurrence: a monthly order started on the 31st pays on the 30th or the
28th/29th of shorter months and returns to the 31st after, and a yearly order started on
29 February pays on 28 February in common years and on the 29th in leap years.
`dateutil.relativedelta` clamps to the end of the month, which is exactly that rule.

Every occurrence runs at 00:00 UTC of its date (`run_at`). `end_date` is inclusive.
"""

import functools
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

DAILY, WEEKLY, MONTHLY, YEARLY = "DAILY", "WEEKLY", "MONTHLY", "YEARLY"
RUN_TIME = time(0, 0, tzinfo=UTC)


def occurrence(start: date, frequency: str, n: int) -> date:
    """The n-th payment date (n = 0 is `start`)."""
    if frequency == DAILY:
        return start + timedelta(days=n)
    if frequency == WEEKLY:
        return start + timedelta(weeks=n)
    if frequency == MONTHLY:
        return start + relativedelta(months=n)
    if frequency == YEARLY:
        return start + relativedelta(years=n)
    raise ValueError(f"Unknown frequency {frequency!r}")


def _estimate(start: date, frequency: str, day: date) -> int:
    """An index at or just below the first occurrence on or after `day`."""
    if frequency == DAILY:
        return (day - start).days
    if frequency == WEEKLY:
        return (day - start).days // 7
    months = (day.year - start.year) * 12 + day.month - start.month
    return months - 1 if frequency == MONTHLY else day.year - start.year - 1


@functools.lru_cache(maxsize=4096)  # a batch of orders mostly shares its schedules
def first_on_or_after(start: date, frequency: str, day: date, end_date: date | None = None) -> date | None:
    """The earliest occurrence on or after `day`, or None when it would fall after `end_date`."""
    n = max(0, _estimate(start, frequency, day))
    while occurrence(start, frequency, n) < day:
        n += 1
    found = occurrence(start, frequency, n)
    return None if end_date is not None and found > end_date else found


def following(start: date, frequency: str, after: date, end_date: date | None = None) -> date | None:
    """The first occurrence strictly after `after` (the period after the one just handled)."""
    return first_on_or_after(start, frequency, after + timedelta(days=1), end_date)


def between(start: date, frequency: str, first: date, last: date) -> list[date]:
    """Every occurrence in [first, last], both inclusive."""
    days = []
    day = first_on_or_after(start, frequency, first, last)
    while day is not None:
        days.append(day)
        day = following(start, frequency, day, last)
    return days


def latest_on_or_before(start: date, frequency: str, day: date) -> date | None:
    """The last occurrence on or before `day` (None before `start`)."""
    if day < start:
        return None
    n = max(0, _estimate(start, frequency, day))
    while occurrence(start, frequency, n + 1) <= day:
        n += 1
    return occurrence(start, frequency, n)


def run_at(day: date) -> datetime:
    """The moment a payment date becomes due: 00:00 UTC of that date."""
    return datetime.combine(day, RUN_TIME)
