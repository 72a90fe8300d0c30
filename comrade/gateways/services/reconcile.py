"""Reconciliation: no payment is left in doubt.

Every external payment, payout and refund stays open until the provider's final answer has been
applied. The job `reconcile_payments` asks the provider about each open one older than
RECONCILE_AFTER_MINUTES and applies the answer through the same code path as a verified webhook
(`answers.answer_apply`): complete it, fail it and release its hold, or leave it and ask again
later with exponential backoff. Every question and its answer is kept (`ReconciliationCheck`), so
an operator can see why a payment is still open; one open longer than RECONCILE_FLAG_AFTER_MINUTES
is flagged in the staff view.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from comrade.core.errors import ApplicationError
from comrade.gateways.models import ExternalPayment, ReconciliationCheck
from comrade.gateways.providers.base import GatewayError, PaymentStatus
from comrade.gateways.registry import ANSWERED_BY_FILES, gateway_for
from comrade.gateways.services.answers import ProviderAnswer, answer_apply
from comrade.gateways.services.common import Outcome, Result, Status, Type, locked, resolve
from comrade.gateways.services.parked import parked_sweep
from comrade.gateways.services.payments import answer_from_session
from comrade.ledger.models import FailureCode
from comrade.ledger.services import transition

logger = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class ReconcileRun:
    checked: int = 0
    settled: int = 0
    parked_applied: int = 0


def payments_reconcile(now: datetime) -> int:
    """Job: ask the providers about every open payment that is due. Returns how many were asked."""
    return reconcile_run(now=now).checked


def reconcile_run(*, now: datetime, limit: int = BATCH) -> ReconcileRun:
    checked = settled = 0
    for payment in _due(now)[:limit]:
        if not _claim(payment, now):
            continue
        checked += 1
        if payment_reconcile(payment=payment, now=now).outcome == Outcome.APPLIED:
            settled += 1
    return ReconcileRun(checked=checked, settled=settled, parked_applied=parked_sweep())


def _due(now: datetime):
    """Open payments due a question. A provider that answers only by files (the bank) is never
    asked: its payouts end by imported statements and reports, and are flagged by their own rule
    (selectors.flagged_q)."""
    age = now - timedelta(minutes=settings.RECONCILE_AFTER_MINUTES)
    return (
        ExternalPayment.objects.select_related("transaction")
        .filter(resolved_at__isnull=True, created_at__lt=age)
        .exclude(provider__in=ANSWERED_BY_FILES)
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        .order_by("next_check_at", "id")
    )


def _claim(payment: ExternalPayment, now: datetime) -> bool:
    """Take the payment for this run (a conditional update), so that two schedulers running at
    once do not both ask the provider."""
    lease = now + timedelta(seconds=settings.RECONCILE_BACKOFF_MAX_SECONDS)
    due = Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    return ExternalPayment.objects.filter(due, pk=payment.pk, resolved_at__isnull=True).update(next_check_at=lease) == 1


def payment_reconcile(*, payment: ExternalPayment, now: datetime) -> Result:
    """Ask the provider about one payment, apply its answer, and keep the question and answer."""
    if payment.provider in ANSWERED_BY_FILES:
        return Result(Outcome.NOTED, f"{payment.provider} answers only by imported files; nothing to ask")
    answer = None
    try:
        answer = _ask(payment)
        result = _never_reached(payment) if answer is None else answer_apply(payment=payment, answer=answer)
    except (GatewayError, ApplicationError) as exc:
        result = Result(Outcome.NOTED, f"could not ask the provider: {exc}")
    except Exception as exc:  # noqa: BLE001 - one payment's bug must not stop the others; it is kept
        logger.exception("reconciling %s failed", payment.transaction.token)
        result = Result(Outcome.REVIEW, f"error while reconciling: {exc!r}")
    _record(payment, answer, result, now)
    return result


def _ask(payment: ExternalPayment) -> ProviderAnswer | None:
    """The provider's answer, or None for a payment the provider never gave us a reference for
    (the customer was never shown a way to pay)."""
    gateway = gateway_for(payment.provider)
    txn = payment.transaction
    if payment.direction == ExternalPayment.Direction.IN:
        if not payment.provider_reference:
            return None
        return answer_from_session(gateway.get_payment(payment.provider_reference))
    lookup = gateway.get_refund if txn.transaction_type == Type.REFUND else gateway.get_payout
    result = lookup(provider_reference=payment.provider_reference, reference=txn.token)
    return ProviderAnswer(
        direction=payment.direction,
        status=result.status,
        amount=getattr(result, "amount", None) if txn.transaction_type == Type.REFUND else None,
        failure_code=result.failure_code,
        failure_reason=result.failure_reason,
    )


def _never_reached(payment: ExternalPayment) -> Result:
    """A payment whose creation never returned a reference: the customer was never sent to pay,
    so it fails (if still open) and is resolved."""
    with transaction.atomic():
        txn = locked(payment.transaction)
        if txn.status in (Status.PENDING, Status.AUTHORIZED):
            reason = "the provider never confirmed the payment was created"
            transition(txn, Status.FAILED, reason=reason, code=FailureCode.PROVIDER_UNAVAILABLE)
        resolve(payment, PaymentStatus.FAILED)
    return Result(Outcome.APPLIED, "no provider reference: the customer could not have paid")


def _record(payment: ExternalPayment, answer: ProviderAnswer | None, result: Result, now: datetime) -> None:
    provider_status = "" if answer is None else str(answer.status)
    ReconciliationCheck.objects.create(
        payment=payment, provider_status=provider_status, outcome=result.outcome, detail=result.reason[:255]
    )
    count = payment.check_count + 1
    fields = {"check_count": count, "last_checked_at": now}
    if provider_status:
        fields["provider_status"] = provider_status
    delay = min(settings.RECONCILE_BACKOFF_BASE_SECONDS * 2 ** (count - 1), settings.RECONCILE_BACKOFF_MAX_SECONDS)
    ExternalPayment.objects.filter(pk=payment.pk).update(**fields)
    ExternalPayment.objects.filter(pk=payment.pk, resolved_at__isnull=True).update(
        next_check_at=now + timedelta(seconds=delay)
    )
