"""Reads for the reconciliation view: what is still open at the providers, for how long, and what
the provider last said."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery

from comrade.gateways.models import ExternalPayment, ReconciliationCheck, WebhookEvent
from comrade.gateways.registry import ANSWERED_BY_FILES


def flag_cutoff(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.RECONCILE_FLAG_AFTER_MINUTES)


def flagged_q(now: datetime) -> Q:
    """An open payment that needs staff. A provider that can be asked: open longer than
    RECONCILE_FLAG_AFTER_MINUTES. The bank, which answers only by statements and reports: a payout
    sent in a payment file longer than BANK_PAYOUT_OVERDUE_DAYS ago (or held that long without
    being exported) that no statement has debited or returned, or one whose answer needs a person."""
    by_files = Q(provider__in=ANSWERED_BY_FILES)
    overdue = now - timedelta(days=settings.BANK_PAYOUT_OVERDUE_DAYS)
    bank = (
        Q(bank_file_entry__file__created__lt=overdue)
        | Q(bank_file_entry__isnull=True, created_at__lt=overdue)
        | Q(bank_file_entry__outcome="REVIEW")
    )
    return (~by_files & Q(created_at__lt=flag_cutoff(now))) | (by_files & bank)


def open_payments(*, now: datetime, flagged_only: bool = False) -> QuerySet[ExternalPayment]:
    last = ReconciliationCheck.objects.filter(payment=OuterRef("pk")).order_by("-id")
    payments = (
        ExternalPayment.objects.filter(resolved_at__isnull=True)
        .select_related("transaction")
        .annotate(
            last_outcome=Subquery(last.values("outcome")[:1]),
            last_detail=Subquery(last.values("detail")[:1]),
            is_flagged=ExpressionWrapper(flagged_q(now), output_field=BooleanField()),
        )
        .order_by("created_at", "id")
    )
    if flagged_only:
        payments = payments.filter(flagged_q(now))
    return payments


def events_needing_review() -> QuerySet[WebhookEvent]:
    """Verified events that code did not settle alone: kept for a person."""
    return WebhookEvent.objects.filter(verdict__in=[WebhookEvent.Verdict.REVIEW, WebhookEvent.Verdict.PARKED])
