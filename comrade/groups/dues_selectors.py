"""Reads for dues and for the rotation round: who owes what, what is in arrears, whether the
current round is complete and who is paid next. Amounts are summed in Python with Decimal."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from comrade.core.errors import NotFound
from comrade.core.money import ZERO
from comrade.groups import dues_calendar
from comrade.groups.models import (
    DuesObligation,
    DuesReceipt,
    DuesSchedule,
    GroupMembers,
    PaymentGroups,
    RotationPayout,
    RotationRound,
)
from comrade.groups.services.common import require_member

Open = DuesObligation.Status.OPEN


@dataclass(frozen=True)
class MemberDues:
    user_id: int
    email: str
    balance_due: Decimal
    arrears: Decimal
    credit: Decimal
    paid: Decimal


@dataclass(frozen=True)
class DuesView:
    members: list[MemberDues]
    obligations: QuerySet[DuesObligation]


@dataclass(frozen=True)
class Missing:
    user_id: int
    email: str
    amount: Decimal


@dataclass(frozen=True)
class RoundState:
    period_start: date | None
    next_due_date: date | None
    missing: list[Missing] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.period_start is not None and not self.missing


def schedule_of(group: PaymentGroups) -> DuesSchedule:
    schedule = DuesSchedule.objects.filter(group=group).first()
    if schedule is None:
        raise NotFound("This group has no dues schedule.")
    return schedule


def dues_for(group: PaymentGroups, viewer, user_id: int | None = None) -> DuesView:
    """A member sees their own dues; an admin everyone's, or one member's with `user_id`."""
    membership = require_member(group, viewer)
    if not membership.is_admin:
        user_id = viewer.pk
    obligations = DuesObligation.objects.filter(group=group).select_related("user", "waived_by")
    members = GroupMembers.objects.filter(group=group).select_related("user").order_by("joined_at", "id")
    if user_id is not None:
        obligations, members = obligations.filter(user_id=user_id), members.filter(user_id=user_id)
    obligations = obligations.order_by("due_date", "id")
    return DuesView(members=_totals(group, list(members), obligations), obligations=obligations)


def _totals(group: PaymentGroups, members: list[GroupMembers], obligations) -> list[MemberDues]:
    today = timezone.localdate()
    due, arrears, paid = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for o in obligations:
        paid[o.user_id] += o.paid_amount
        if o.status == Open:
            due[o.user_id] += o.amount - o.paid_amount
            if o.arrears_from <= today:
                arrears[o.user_id] += o.amount - o.paid_amount
    credit = defaultdict(Decimal)
    receipts = DuesReceipt.objects.filter(group=group, user_id__in=[m.user_id for m in members], unallocated__gt=0)
    for user_id, unallocated in receipts.values_list("user_id", "unallocated"):
        credit[user_id] += unallocated
    return [
        MemberDues(
            user_id=m.user_id,
            email=m.user.email,
            balance_due=due[m.user_id] + ZERO,
            arrears=arrears[m.user_id] + ZERO,
            credit=credit[m.user_id] + ZERO,
            paid=paid[m.user_id] + ZERO,
        )
        for m in members
    ]


def round_state(group: PaymentGroups, today: date | None = None) -> RoundState:
    """The current round is the latest dues period that has started and has its obligations. It is
    complete when no current member owes anything on the dues of that period or an earlier one."""
    today = today or timezone.localdate()
    schedule = DuesSchedule.objects.filter(group=group).first()
    if schedule is None:
        return RoundState(period_start=None, next_due_date=None)
    calendar = (schedule.first_due_date, schedule.frequency, schedule.interval_days)
    n = dues_calendar.latest_started(*calendar, schedule.periods_created, today)
    next_due = dues_calendar.due_date(*calendar, 0 if n is None else n + 1)
    if n is None:
        return RoundState(period_start=None, next_due_date=next_due)
    start = dues_calendar.due_date(*calendar, n)
    return RoundState(period_start=start, next_due_date=next_due, missing=_missing(group, start))


def _missing(group: PaymentGroups, period_start: date) -> list[Missing]:
    owing = (
        DuesObligation.objects.filter(
            group=group, kind=DuesObligation.Kind.DUES, status=Open, period_start__lte=period_start
        )
        .filter(Exists(GroupMembers.objects.filter(group=group, user=OuterRef("user"))))
        .select_related("user")
        .order_by("user_id")
    )
    amounts: dict[int, Decimal] = defaultdict(Decimal)
    emails: dict[int, str] = {}
    for o in owing:
        amounts[o.user_id] += o.amount - o.paid_amount
        emails[o.user_id] = o.user.email
    return [Missing(user_id=u, email=emails[u], amount=a) for u, a in amounts.items()]


def next_in_rotation(group: PaymentGroups) -> GroupMembers | None:
    """Who the next rotation payout goes to, without starting a new cycle (a read)."""
    ordered = list(
        GroupMembers.objects.select_related("user")
        .filter(group=group, payout_position__isnull=False)
        .order_by("payout_position", "id")
    )
    paid = set(RotationPayout.objects.filter(group=group, cycle=group.rotation_cycle).values_list("user_id", flat=True))
    waiting = [m for m in ordered if m.user_id not in paid]
    return (waiting or ordered or [None])[0]


@dataclass(frozen=True)
class RotationStatus:
    rotation_requires_full_round: bool
    rotation_auto: bool
    rotation_cycle: int
    next_member: GroupMembers | None
    current_period_start: date | None
    next_due_date: date | None
    round_complete: bool
    missing: list[Missing]
    last_auto_round: RotationRound | None


def rotation_status(group: PaymentGroups) -> RotationStatus:
    """Who is paid next, when the next dues fall due, and what the current round still misses."""
    state = round_state(group)
    return RotationStatus(
        rotation_requires_full_round=group.rotation_requires_full_round,
        rotation_auto=group.rotation_auto,
        rotation_cycle=group.rotation_cycle,
        next_member=next_in_rotation(group),
        current_period_start=state.period_start,
        next_due_date=state.next_due_date,
        round_complete=state.complete,
        missing=state.missing,
        last_auto_round=RotationRound.objects.filter(group=group).order_by("-period_start").first(),
    )
