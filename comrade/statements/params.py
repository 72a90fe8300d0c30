"""The query parameters of a statement, parsed strictly: a bad value is a 400 that names its
parameter, never a 500 and never a silently different period.

A period is whole days in UTC (the server's TIME_ZONE): `date_from` at 00:00 up to, not including,
00:00 of the day after `date_to`. A bare date for `at` means the end of that day, so the closing
balance of a statement that ends on a day equals the balance `at` that day."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from comrade.core.errors import field_error

FORMATS = ("json", "csv", "pdf")
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date
    start: dt.datetime  # date_from at 00:00 UTC
    end: dt.datetime  # the first instant after date_to


def start_of(day: dt.date, name: str) -> dt.datetime:
    try:
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise field_error(name, f"{name} is out of range.") from exc


def next_day(day: dt.date, name: str) -> dt.date:
    try:
        return day + dt.timedelta(days=1)
    except OverflowError as exc:
        raise field_error(name, f"{name} is out of range.") from exc


def query_date(params: Mapping[str, str], name: str) -> dt.date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise field_error(name, f"{name} must be a date as YYYY-MM-DD.")
    return day


def query_period(params: Mapping[str, str]) -> Period:
    """`date_to` defaults to today, `date_from` to DEFAULT_DAYS days before it (both included)."""
    date_to = query_date(params, "date_to") or timezone.now().astimezone(dt.UTC).date()
    date_from = query_date(params, "date_from") or days_before(date_to, DEFAULT_DAYS - 1)
    if date_to < date_from:
        raise field_error("date_to", "date_to must not be before date_from.")
    days = (date_to - date_from).days + 1
    if days > settings.STATEMENT_MAX_DAYS:
        most = settings.STATEMENT_MAX_DAYS
        raise field_error("date_to", f"A statement covers at most {most} days; this asks {days}.")
    end = start_of(next_day(date_to, "date_to"), "date_to")
    return Period(date_from, date_to, start_of(date_from, "date_from"), end)


def days_before(day: dt.date, days: int) -> dt.date:
    try:
        return day - dt.timedelta(days=days)
    except OverflowError:
        return dt.date.min


def query_format(params: Mapping[str, str]) -> str:
    fmt = params.get("format") or "json"
    if fmt not in FORMATS:
        raise field_error("format", f"format must be one of {', '.join(FORMATS)}.")
    return fmt


def query_moment(params: Mapping[str, str], name: str = "at") -> dt.datetime:
    """An ISO datetime (naive means UTC) or a date (the end of that day)."""
    raw = params.get(name, "")
    try:
        moment = parse_datetime(raw) if "T" in raw or " " in raw else None
        day = None if moment else parse_date(raw)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise field_error(name, f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date and time.")
    if day is not None:
        return start_of(next_day(day, name), name) - dt.timedelta(microseconds=1)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise field_error(name, f"{name} is out of range.") from exc
