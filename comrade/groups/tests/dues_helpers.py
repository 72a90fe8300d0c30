"""Shared set-up for the dues tests: a schedule starting today, the job run at a given day."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from comrade.groups.models import DuesObligation
from comrade.groups.services.dues import ScheduleTerms, dues_obligations_create, dues_schedule_set


def today() -> date:
    return timezone.localdate()


def at(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def set_dues(group, admin, amount="10.00", **terms):
    terms.setdefault("frequency", "MONTHLY")
    terms.setdefault("first_due_date", today())
    return dues_schedule_set(group=group, admin=admin, terms=ScheduleTerms(amount=Decimal(amount), **terms))


def run_job(days_from_today: int = 0) -> int:
    return dues_obligations_create(now=at(today() + timedelta(days=days_from_today)))


def obligations(user, **filters) -> list[tuple]:
    rows = DuesObligation.objects.filter(user=user, **filters).order_by("due_date", "id")
    return list(rows.values_list("kind", "amount", "paid_amount", "status"))
