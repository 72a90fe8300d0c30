"""Reads for a group page: how far its targets are, when they will be reached at the pace so far,
and where a member stands with the dues of the current period.

What progress means:
- the group's own target counts the pot's **current balance** (contributions minus what the pot
  paid out), the money the group holds now;
- a target inside the group counts the part of the pot **allocated** to it (`current_amount`).

The pace is what was contributed (to the group, or to that target) per day since it was created
(at least one day); the projected date is today plus the remaining amount at that pace. No
contributions: no pace, and no date."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Sum
from django.utils import timezone

from comrade.core.money import ZERO
from comrade.groups.dues_selectors import round_state
from comrade.groups.models import Contribution, DuesObligation, DuesSchedule, GroupTarget, PaymentGroups
from comrade.groups.services.pot import pot_balance

MAX_PROJECTION_DAYS = 36_500  # beyond a century the pace says nothing useful


@dataclass(frozen=True)
class Progress:
    name: str
    saved: Decimal
    target: Decimal
    percent: int
    projected: date | None
    reached: bool
    meaning: str


def projected_completion(*, target: Decimal, saved: Decimal, contributed: Decimal, since: date, today: date):
    """The day `saved` reaches `target` if contributions keep coming at the pace so far
    (`contributed` since `since`), or None when there is no pace or nothing is left to save."""
    remaining = target - saved
    if remaining <= 0 or contributed <= 0:
        return None
    days = max((today - since).days, 1)
    needed = math.ceil(remaining * days / contributed)
    if needed > MAX_PROJECTION_DAYS:
        return None
    return today + timedelta(days=needed)


def percent_of(saved: Decimal, target: Decimal) -> int:
    """Whole percent, rounded down (a target is 100% only when reached), at least 0."""
    if target <= 0 or saved <= 0:
        return 0
    return int((saved * 100 / target).to_integral_value(rounding=ROUND_FLOOR))


def group_progress(group: PaymentGroups, today: date | None = None) -> Progress | None:
    """The group's own target (`target_amount`) against the pot's balance; None without one."""
    if group.target_amount is None:
        return None
    today = today or timezone.localdate()
    saved = pot_balance(group)
    contributed = Contribution.objects.filter(group=group).aggregate(total=Sum("amount"))["total"] or ZERO
    return _progress(
        name="The group’s target",
        saved=saved,
        target=group.target_amount,
        contributed=contributed,
        since=timezone.localdate(group.created_at),
        today=today,
        meaning="the money in the pot now (contributions minus payouts)",
    )


def target_progress(target: GroupTarget, today: date | None = None) -> Progress:
    today = today or timezone.localdate()
    contributed = Contribution.objects.filter(target=target).aggregate(total=Sum("amount"))["total"] or ZERO
    return _progress(
        name=target.name,
        saved=target.current_amount,
        target=target.target_amount,
        contributed=contributed,
        since=timezone.localdate(target.created_at),
        today=today,
        meaning="the part of the pot set aside for this target",
    )


def _progress(*, name, saved, target, contributed, since, today, meaning) -> Progress:
    return Progress(
        name=name,
        saved=saved,
        target=target,
        percent=percent_of(saved, target),
        projected=projected_completion(target=target, saved=saved, contributed=contributed, since=since, today=today),
        reached=saved >= target,
        meaning=meaning,
    )


@dataclass(frozen=True)
class DuesStatus:
    """A member's standing this period: "paid", "due" (by `due_date`) or "late" (past the grace
    period; `fine` is what open fines add). `amount` is what is still open."""

    state: str
    amount: Decimal = ZERO
    due_date: date | None = None
    fine: Decimal = ZERO
    next_due_date: date | None = None


def dues_status(group: PaymentGroups, user, today: date | None = None) -> DuesStatus | None:
    """None when the group has no dues schedule."""
    if not DuesSchedule.objects.filter(group=group).exists():
        return None
    today = today or timezone.localdate()
    open_ = list(
        DuesObligation.objects.filter(group=group, user=user, status=DuesObligation.Status.OPEN).order_by("due_date")
    )
    next_due = round_state(group, today).next_due_date
    if not open_:
        return DuesStatus(state="paid", next_due_date=next_due)
    owed = sum((o.amount - o.paid_amount for o in open_), ZERO)
    fine = sum((o.amount - o.paid_amount for o in open_ if o.kind == DuesObligation.Kind.FINE), ZERO)
    late = any(o.arrears_from <= today for o in open_)
    return DuesStatus(
        state="late" if late else "due",
        amount=owed,
        due_date=open_[0].due_date,
        fine=fine,
        next_due_date=next_due,
    )
