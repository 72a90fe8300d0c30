"""Dues: what each member owes the group, period by period, and how contributions pay it.

Allocation is bookkeeping on top of the contributions into the pot; it never moves money. Every
write here runs under the group's row lock (taken first, as by every writer of a group), so one
member's contributions, the scheduler's new obligations and a waiver cannot interleave: an
obligation is never paid twice and a contribution never counted twice. The database backs this
with constraints (one obligation per member, period and kind; paid never above the amount; one
receipt per contribution) and verify_ledger checks the sums (checks.py).

A contribution made while the group has a dues schedule gets a DuesReceipt. Its amount pays the
member's open obligations, oldest due date first; what is left (`unallocated`) is the member's
credit, which pays the next obligation created for them the moment it is created.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from comrade.core.errors import ApplicationError, NotFound, field_error
from comrade.core.money import CENT, ZERO
from comrade.groups import dues_calendar
from comrade.groups.models import (
    Contribution,
    DuesAllocation,
    DuesObligation,
    DuesReceipt,
    DuesSchedule,
    GroupMembers,
    PaymentGroups,
)
from comrade.groups.services.common import ensure_not_closed, lock_group, require_admin

logger = logging.getLogger(__name__)
Kind = DuesObligation.Kind
Open = DuesObligation.Status.OPEN
FineKind = DuesSchedule.FineKind
TERMS = ("frequency", "interval_days", "first_due_date")


@dataclass(frozen=True)
class ScheduleTerms:
    amount: Decimal
    frequency: str
    first_due_date: date
    interval_days: int | None = None
    grace_days: int = 0
    fine_kind: str = FineKind.NONE
    fine_value: Decimal | None = None
    remind_days_before: int | None = None
    remind_on_arrears: bool = False


# --- the schedule ------------------------------------------------------------------------------


def dues_schedule_set(*, group: PaymentGroups, admin, terms: ScheduleTerms) -> DuesSchedule:
    """Set or change the group's dues. Obligations already created keep their amounts. A change of
    frequency or dates starts a new calendar, which may not begin in the past nor before the end
    of a period already charged (nobody owes two overlapping periods)."""
    _check_terms(terms)
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        schedule = DuesSchedule.objects.filter(group=group).first() or DuesSchedule(group=group)
        if schedule.pk is None or _calendar_changed(schedule, terms):
            _check_new_calendar(group, terms)
            schedule.periods_created = 0
        for name, value in vars(terms).items():
            setattr(schedule, name, value)
        schedule.updated_by = admin
        schedule.save()
        return schedule


def _calendar_changed(schedule: DuesSchedule, terms: ScheduleTerms) -> bool:
    return any(getattr(schedule, name) != getattr(terms, name) for name in TERMS)


def _check_terms(terms: ScheduleTerms) -> None:
    if terms.amount <= 0:
        raise field_error("amount", "The dues amount must be positive.", "invalid_amount")
    if terms.frequency not in DuesSchedule.Frequency.values:
        raise field_error("frequency", f"Unknown frequency {terms.frequency!r}.", "invalid_choice")
    if terms.frequency == DuesSchedule.Frequency.EVERY_N_DAYS and not (terms.interval_days or 0) >= 1:
        raise field_error("interval_days", "EVERY_N_DAYS needs interval_days of 1 or more.", "required")
    if terms.grace_days < 0:
        raise field_error("grace_days", "The grace period cannot be negative.", "invalid")
    _check_fine(terms)


def _check_fine(terms: ScheduleTerms) -> None:
    if terms.fine_kind not in FineKind.values:
        raise field_error("fine_kind", f"Unknown fine kind {terms.fine_kind!r}.", "invalid_choice")
    if terms.fine_kind == FineKind.NONE:
        if terms.fine_value is not None:
            raise field_error("fine_value", "Set fine_kind to FIXED or PERCENT to charge a fine.", "invalid")
        return
    if terms.fine_value is None or terms.fine_value <= 0:
        raise field_error("fine_value", "A late fine needs a positive value.", "required")
    limit = Decimal(100) if terms.fine_kind == FineKind.PERCENT else terms.amount
    if terms.fine_value > limit:
        raise field_error("fine_value", "A late fine cannot be more than the dues amount.", "fine_above_dues")


def _check_new_calendar(group: PaymentGroups, terms: ScheduleTerms) -> None:
    if terms.first_due_date < timezone.localdate():
        raise field_error("first_due_date", "The first due date cannot be in the past.", "date_in_past")
    charged = DuesObligation.objects.filter(group=group, kind=Kind.DUES).order_by("-period_end").first()
    if charged is not None and terms.first_due_date <= charged.period_end:
        raise field_error(
            "first_due_date",
            f"Periods up to {charged.period_end} are already charged; start after that day.",
            "overlaps_charged_period",
        )


def fine_amount(kind: str, value: Decimal, dues: Decimal) -> Decimal:
    if kind == FineKind.PERCENT:
        return (dues * value / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
    return value


# --- allocation --------------------------------------------------------------------------------


def dues_contribution_count(*, contribution: Contribution) -> DuesReceipt | None:
    """Count a new contribution toward its member's dues. Called by the contribution service in
    the contribution's database transaction, under the group lock, for every route (wallet,
    EXTERNAL when it settles, standing order). A group without a schedule has nothing to count."""
    if not DuesSchedule.objects.filter(group_id=contribution.group_id).exists():
        return None
    receipt = DuesReceipt.objects.create(
        contribution=contribution,
        group_id=contribution.group_id,
        user_id=contribution.member_id,
        unallocated=contribution.amount,
    )
    allocate(group_id=contribution.group_id, user_id=contribution.member_id)
    return receipt


def allocate(*, group_id: int, user_id: int) -> Decimal:
    """Pay the member's open obligations, oldest due date first, from their credit (receipts with
    an unallocated part, oldest first). For callers holding the group lock. Returns the total."""
    receipts = list(
        DuesReceipt.objects.select_for_update()
        .filter(group_id=group_id, user_id=user_id, unallocated__gt=0)
        .order_by("id")
    )
    if not receipts:
        return ZERO
    obligations = list(
        DuesObligation.objects.select_for_update()
        .filter(group_id=group_id, user_id=user_id, status=Open)
        .order_by("due_date", "id")
    )
    return _match(receipts, obligations)


def _match(receipts: list[DuesReceipt], obligations: list[DuesObligation]) -> Decimal:
    total, now = ZERO, timezone.now()
    for obligation in obligations:
        paid_before = obligation.paid_amount
        for receipt in receipts:
            part = min(receipt.unallocated, obligation.amount - obligation.paid_amount)
            if part > 0:
                DuesAllocation.objects.create(receipt=receipt, obligation=obligation, amount=part)
                receipt.unallocated -= part
                obligation.paid_amount += part
        if obligation.paid_amount == paid_before:
            break
        total += obligation.paid_amount - paid_before
        if obligation.paid_amount == obligation.amount:
            obligation.status, obligation.paid_at = DuesObligation.Status.PAID, now
        obligation.save(update_fields=["paid_amount", "status", "paid_at"])
    DuesReceipt.objects.bulk_update(receipts, ["unallocated"])
    return total


# --- obligations -------------------------------------------------------------------------------


def dues_obligations_create(*, now) -> int:
    """The scheduler job: for every group with a schedule, create the obligations of the periods
    that are due (catching up every missed period) and the late fines. Each group in its own
    database transaction under its lock, so two schedulers create each obligation once (and the
    unique constraint refuses a second one whatever happens). A group that raises is logged and
    left for the next run."""
    today = timezone.localdate(now)
    created = 0
    groups = DuesSchedule.objects.filter(group__closed_at__isnull=True).values_list("group_id", flat=True)
    for group_id in list(groups):
        try:
            with transaction.atomic():
                created += _create_for_group(group_id, today)
        except Exception:
            logger.exception("dues obligations for group %s failed; left for the next run", group_id)
    return created


def _create_for_group(group_id: int, today: date) -> int:
    group = lock_group(PaymentGroups(pk=group_id))
    schedule = DuesSchedule.objects.select_for_update().get(group=group)
    if group.is_closed:
        return 0
    created = 0
    if group.is_active:
        while _period_due(schedule, schedule.periods_created, today):
            created += _create_period(group, schedule, schedule.periods_created)
            schedule.periods_created += 1
        schedule.save(update_fields=["periods_created", "updated_at"])
    return created + _charge_fines(group, schedule, today)


def _period_due(schedule: DuesSchedule, n: int, today: date) -> bool:
    """A period's obligations are created ahead of its due date by the reminder lead time, so that
    the reminder before the due date can be sent."""
    lead = timedelta(days=schedule.remind_days_before or 0)
    return _due(schedule, n) - lead <= today


def _due(schedule: DuesSchedule, n: int) -> date:
    return dues_calendar.due_date(schedule.first_due_date, schedule.frequency, schedule.interval_days, n)


def _create_period(group: PaymentGroups, schedule: DuesSchedule, n: int) -> int:
    """One DUES obligation per active member who had joined by the period's due date."""
    due = _due(schedule, n)
    end = dues_calendar.period_end(schedule.first_due_date, schedule.frequency, schedule.interval_days, n)
    members = GroupMembers.objects.filter(group=group, user__is_active=True, joined_at__date__lte=due)
    user_ids = list(members.order_by("id").values_list("user_id", flat=True))
    for user_id in user_ids:
        DuesObligation.objects.create(
            group=group,
            user_id=user_id,
            kind=Kind.DUES,
            period_start=due,
            period_end=end,
            due_date=due,
            arrears_from=due + timedelta(days=schedule.grace_days + 1),
            amount=schedule.amount,
        )
        allocate(group_id=group.pk, user_id=user_id)
    return len(user_ids)


def _charge_fines(group: PaymentGroups, schedule: DuesSchedule, today: date) -> int:
    """One fine per DUES obligation still open past its grace period, for current members."""
    if schedule.fine_kind == FineKind.NONE:
        return 0
    overdue = (
        DuesObligation.objects.filter(group=group, kind=Kind.DUES, status=Open, arrears_from__lte=today)
        .filter(fine__isnull=True)
        .filter(Exists(GroupMembers.objects.filter(group=group, user=OuterRef("user"))))
        .order_by("id")
    )
    count = 0
    for obligation in overdue:
        DuesObligation.objects.create(
            group=group,
            user_id=obligation.user_id,
            kind=Kind.FINE,
            fine_for=obligation,
            period_start=obligation.period_start,
            period_end=obligation.period_end,
            due_date=today,
            arrears_from=today,
            amount=fine_amount(schedule.fine_kind, schedule.fine_value, obligation.amount),
        )
        allocate(group_id=group.pk, user_id=obligation.user_id)
        count += 1
    return count


# --- waivers -----------------------------------------------------------------------------------


def dues_fine_waive(*, group: PaymentGroups, admin, obligation_id: int, reason: str) -> DuesObligation:
    """An admin lets a member off an open fine (not dues). The part already paid stays paid; who,
    when and why are kept on the obligation."""
    if not reason.strip():
        raise field_error("reason", "Say why the fine is waived.", "required")
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        obligation = DuesObligation.objects.select_for_update().filter(group=group, pk=obligation_id).first()
        if obligation is None:
            raise NotFound("No such obligation in this group.")
        if obligation.kind != Kind.FINE:
            raise ApplicationError("not_a_fine", "Only fines can be waived, not dues.")
        if obligation.status != Open:
            raise ApplicationError("fine_not_open", f"This fine is already {obligation.status}.")
        obligation.status = DuesObligation.Status.WAIVED
        obligation.waived_by, obligation.waived_at, obligation.waive_reason = admin, timezone.now(), reason.strip()
        obligation.save(update_fields=["status", "waived_by", "waived_at", "waive_reason"])
        return obligation
