"""Dues reminders by email: before the due date (`remind_days_before`) and once an obligation is
in arrears (`remind_on_arrears`). Each obligation gets each kind of reminder at most once: the
reminder is claimed by a conditional UPDATE of its timestamp (so two schedulers cannot both send
it) and the email goes out after the claim commits; a mail server that fails is logged, not
retried."""

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from comrade.groups.models import DuesObligation, DuesSchedule, GroupMembers

logger = logging.getLogger(__name__)


def dues_reminders_send(*, now: datetime) -> int:
    """The scheduler job. Returns how many reminders were claimed for sending."""
    today = timezone.localdate(now)
    sent = 0
    for obligation in _due_soon(today):
        sent += _claim_and_send(obligation, "reminded_before_at", now, _before_message)
    for obligation in _in_arrears(today):
        sent += _claim_and_send(obligation, "reminded_arrears_at", now, _arrears_message)
    return sent


def _open_of_members() -> QuerySet[DuesObligation]:
    member = GroupMembers.objects.filter(group=OuterRef("group"), user=OuterRef("user"))
    return (
        DuesObligation.objects.filter(status=DuesObligation.Status.OPEN, group__closed_at__isnull=True)
        .filter(Exists(member))
        .select_related("user", "group")
        .order_by("id")
    )


def _due_soon(today: date) -> list[DuesObligation]:
    found = []
    schedules = DuesSchedule.objects.filter(remind_days_before__isnull=False)
    for group_id, lead in schedules.values_list("group_id", "remind_days_before"):
        found.extend(
            _open_of_members().filter(
                group_id=group_id,
                kind=DuesObligation.Kind.DUES,
                reminded_before_at__isnull=True,
                due_date__gte=today,
                due_date__lte=today + timedelta(days=lead),
            )
        )
    return found


def _in_arrears(today: date) -> QuerySet[DuesObligation]:
    return _open_of_members().filter(
        Q(group__dues_schedule__remind_on_arrears=True), reminded_arrears_at__isnull=True, arrears_from__lte=today
    )


def _claim_and_send(obligation: DuesObligation, flag: str, now: datetime, message: Callable) -> int:
    with transaction.atomic():
        claimed = DuesObligation.objects.filter(pk=obligation.pk, **{f"{flag}__isnull": True}).update(**{flag: now})
        if not claimed:
            return 0
        subject, body = message(obligation)
        recipient = obligation.user.email
        transaction.on_commit(
            lambda: send_mail(f"[Comrade Pay] {subject}", body, settings.DEFAULT_FROM_EMAIL, [recipient]), robust=True
        )
    return 1


def _link(obligation: DuesObligation) -> str:
    return f"{settings.SITE_URL}/payments/payment-groups/{obligation.group_id}/dues/"


def _before_message(obligation: DuesObligation) -> tuple[str, str]:
    owed = obligation.amount - obligation.paid_amount
    subject = f"{obligation.group.name}: dues of {owed} due on {obligation.due_date}"
    body = f"Your dues of {owed} to {obligation.group.name} are due on {obligation.due_date}.\n\n{_link(obligation)}"
    return subject, body


def _arrears_message(obligation: DuesObligation) -> tuple[str, str]:
    owed = obligation.amount - obligation.paid_amount
    what = "late fine" if obligation.kind == DuesObligation.Kind.FINE else "dues"
    subject = f"{obligation.group.name}: {what} of {owed} in arrears"
    body = (
        f"Your {what} of {owed} to {obligation.group.name} for the period starting {obligation.period_start} "
        f"are overdue. A contribution to the group pays them.\n\n{_link(obligation)}"
    )
    return subject, body
