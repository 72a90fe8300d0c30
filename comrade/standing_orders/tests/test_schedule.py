"""The calendar rules, as properties over any start date and any period."""

import calendar
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from comrade.standing_orders import schedule
from comrade.standing_orders.schedule import DAILY, MONTHLY, WEEKLY, YEARLY

starts = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))
frequencies = st.sampled_from([DAILY, WEEKLY, MONTHLY, YEARLY])
indexes = st.integers(min_value=0, max_value=400)


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@given(starts, indexes)
def test_monthly_pays_on_the_start_day_or_the_last_day_of_a_shorter_month(start, n):
    day = schedule.occurrence(start, MONTHLY, n)
    months = start.month - 1 + n
    assert (day.year, day.month) == (start.year + months // 12, months % 12 + 1)
    assert day.day == min(start.day, last_day(day.year, day.month))


@given(starts, indexes)
def test_yearly_pays_on_the_anniversary_and_29_february_on_the_28th_in_common_years(start, n):
    day = schedule.occurrence(start, YEARLY, n)
    assert day.year == start.year + n and day.month == start.month
    assert day.day == min(start.day, last_day(day.year, day.month))


@given(starts, indexes)
def test_daily_and_weekly_are_fixed_steps(start, n):
    assert schedule.occurrence(start, DAILY, n) == start + timedelta(days=n)
    weekly = schedule.occurrence(start, WEEKLY, n)
    assert weekly == start + timedelta(days=7 * n) and weekly.weekday() == start.weekday()


@given(starts, frequencies, indexes)
def test_occurrences_strictly_increase(start, frequency, n):
    assert schedule.occurrence(start, frequency, n) < schedule.occurrence(start, frequency, n + 1)


def brute_force_first(start, frequency, day):
    n = 0
    while schedule.occurrence(start, frequency, n) < day:
        n += 1
    return schedule.occurrence(start, frequency, n)


@settings(deadline=None)
@given(starts, frequencies, st.integers(min_value=-400, max_value=4000))
def test_first_on_or_after_is_the_earliest_occurrence_not_before_the_day(start, frequency, offset):
    day = start + timedelta(days=offset)
    assert schedule.first_on_or_after(start, frequency, day) == brute_force_first(start, frequency, day)


@given(starts, frequencies, st.integers(min_value=0, max_value=20000))
def test_latest_on_or_before_and_following_bracket_the_day(start, frequency, offset):
    day = start + timedelta(days=offset)
    latest = schedule.latest_on_or_before(start, frequency, day)
    assert start <= latest <= day
    following = schedule.following(start, frequency, latest)
    assert following > day
    assert schedule.first_on_or_after(start, frequency, latest) == latest


@given(starts, frequencies, indexes, st.integers(min_value=0, max_value=3))
def test_end_date_is_inclusive(start, frequency, n, extra_days):
    payday = schedule.occurrence(start, frequency, n)
    assert schedule.first_on_or_after(start, frequency, payday, end_date=payday) == payday
    after = schedule.following(start, frequency, payday)
    end = min(payday + timedelta(days=extra_days), after - timedelta(days=1))
    assert schedule.following(start, frequency, payday, end_date=end) is None


@settings(deadline=None)
@given(starts, frequencies, st.integers(min_value=0, max_value=800))
def test_between_lists_every_occurrence_in_the_range(start, frequency, span):
    last = start + timedelta(days=span)
    days = schedule.between(start, frequency, start, last)
    expected = []
    n = 0
    while schedule.occurrence(start, frequency, n) <= last:
        expected.append(schedule.occurrence(start, frequency, n))
        n += 1
    assert days == expected


def test_monthly_from_the_31st_returns_to_the_31st():
    days = [schedule.occurrence(date(2025, 1, 31), MONTHLY, n) for n in range(4)]
    assert days == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    leap = schedule.first_on_or_after(date(2024, 1, 31), MONTHLY, date(2024, 2, 1))
    assert leap == date(2024, 2, 29)


def test_yearly_from_29_february():
    days = [schedule.occurrence(date(2024, 2, 29), YEARLY, n) for n in range(5)]
    assert days == [date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]


def test_a_period_runs_at_midnight_utc():
    assert schedule.run_at(date(2026, 3, 1)) == datetime(2026, 3, 1, tzinfo=UTC)
