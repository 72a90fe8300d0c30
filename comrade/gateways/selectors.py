"""Reads for the reconciliation view: what is still open at the providers, for how long, and what
the provider last said."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from comrade.gateways.models import ExternalPayment, ReconciliationCheck, WebhookEvent


def flag_cutoff(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.RECONCILE_FLAG_AFTER_MINUTES)


def open_payments(*, now: datetime, flagged_only: bool = False) -> QuerySet[ExternalPayment]:
    last = ReconciliationCheck.objects.filter(payment=OuterRef("pk")).order_by("-id")
    payments = (
        ExternalPayment.objects.filter(resolved_at__isnull=True)
        .select_related("transaction")
        .annotate(
            last_outcome=Subquery(last.values("outcome")[:1]),
            last_detail=Subquery(last.values("detail")[:1]),
        )
        .order_by("created_at", "id")
    )
    if flagged_only:
        payments = payments.filter(created_at__lt=flag_cutoff(now))
    return payments


def events_needing_review() -> QuerySet[WebhookEvent]:
    """Verified events that code did not settle alone: kept for a person."""
    return WebhookEvent.objects.filter(verdict__in=[WebhookEvent.Verdict.REVIEW, WebhookEvent.Verdict.PARKED])
