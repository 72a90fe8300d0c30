"""Receiving provider webhooks: verify first, store the event, claim its id, confirm with the
provider where it has no signatures (Daraja), then apply it through the same code path as every
other provider answer (`services.answers`).

A verified event is never dropped while money is in doubt: one we cannot match yet is PARKED and
applied when its payment is known; one that needs a person is kept as REVIEW. A rejected request
keeps only a short excerpt of its body, so forged traffic cannot fill the database.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction

from comrade.core import retention
from comrade.gateways.models import ExternalPayment, WebhookEvent
from comrade.gateways.providers.base import GatewayError, WebhookRejected
from comrade.gateways.providers.base import WebhookEvent as Event
from comrade.gateways.registry import gateway_for
from comrade.gateways.services.answers import answer_apply, answer_from_event
from comrade.gateways.services.common import Outcome
from comrade.gateways.services.parked import event_to_json, find_payment

logger = logging.getLogger(__name__)
Verdict = WebhookEvent.Verdict
REJECTED_EXCERPT_CHARS = 500
VERDICTS = {
    Outcome.APPLIED: Verdict.APPLIED,
    Outcome.NOTED: Verdict.NOTED,
    Outcome.ALREADY_DONE: Verdict.IGNORED,
    Outcome.NOT_APPLICABLE: Verdict.IGNORED,
    Outcome.REVIEW: Verdict.REVIEW,
}


@dataclass(frozen=True)
class Receipt:
    status_code: int
    verdict: str
    reason: str = ""


def webhook_receive(*, provider: str, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> Receipt:
    gateway = gateway_for(provider, field="provider")
    try:
        event = gateway.verify_webhook(headers=headers, body=body, path_secret=path_secret)
    except WebhookRejected as exc:
        logger.warning("webhook from %s rejected: %s", provider, exc.reason)
        _record_rejected(provider, body, exc.reason)
        return Receipt(400, Verdict.REJECTED, exc.reason)
    structlog.contextvars.bind_contextvars(webhook_provider=provider, webhook_event_id=event.event_id)
    record = _claim(provider, body, event)
    if record is None:
        logger.info("webhook %s from %s: already received", event.event_id, provider)
        return Receipt(200, Verdict.DUPLICATE, "event already received")
    try:
        event = gateway.confirm_event(event)
    except (GatewayError, WebhookRejected) as exc:
        _release(record, f"could not confirm with the provider: {exc}")
        return Receipt(503, Verdict.REJECTED, "could not confirm with the provider; retry later")
    try:
        verdict, reason, txn = _apply(provider, event)
    except Exception:
        _release(record, "error while applying")
        raise
    WebhookEvent.objects.filter(pk=record.pk).update(
        verdict=verdict, reason=reason[:255], transaction=txn, event=event_to_json(event)
    )
    logger.info("webhook %s from %s: %s", event.event_id, provider, verdict)
    return Receipt(200, verdict, reason)


def _record_rejected(provider: str, body: bytes, reason: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider=provider,
        raw_body=body[:REJECTED_EXCERPT_CHARS].decode("utf-8", "replace"),
        verdict=Verdict.REJECTED,
        reason=reason[:255],
    )


def _claim(provider: str, body: bytes, event: Event) -> WebhookEvent | None:
    raw = body.decode("utf-8", "replace")[: settings.WEBHOOK_MAX_BODY_BYTES]
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(
                provider=provider,
                event_id=event.event_id[:255],
                verified=True,
                payload=event.raw or None,
                raw_body=raw,
                provider_reference=event.provider_reference[:128],
            )
    except IntegrityError:
        WebhookEvent.objects.create(
            provider=provider,
            event_id=event.event_id[:255],
            verdict=Verdict.DUPLICATE,
            reason="event already received",
        )
        return None


def _release(record: WebhookEvent, reason: str) -> None:
    """Give the event id back so that the provider's retry can be applied."""
    WebhookEvent.objects.filter(pk=record.pk).update(verified=False, verdict=Verdict.REJECTED, reason=reason[:255])


def _apply(provider: str, event: Event):
    payment = find_payment(provider, event)
    if payment is None:
        if answer_from_event(event) is None:
            return Verdict.IGNORED, f"{event.kind} is not about a payment", None
        logger.info(
            "webhook %s parked: no payment %s/%s yet", event.event_id, event.reference, event.provider_reference
        )
        return Verdict.PARKED, "no matching payment yet; applied when it is known", None
    structlog.contextvars.bind_contextvars(transaction_token=payment.transaction.token)
    verdict, reason = event_apply(payment, event)
    return verdict, reason, payment.transaction


def event_apply(payment: ExternalPayment, event: Event) -> tuple[str, str]:
    answer = answer_from_event(event)
    if answer is None:
        return Verdict.IGNORED, f"{event.kind} does not move money"
    result = answer_apply(payment=payment, answer=answer)
    return VERDICTS[result.outcome], result.reason


def rejected_events_purge(now: datetime) -> int:
    """Purge (in the purge_old_records job): forget rejected (unverified) requests after
    WEBHOOK_REJECTED_RETENTION_DAYS. Verified events are kept: they are what the providers told us."""
    cutoff = now - timedelta(days=settings.WEBHOOK_REJECTED_RETENTION_DAYS)
    return retention.delete_in_batches(WebhookEvent.objects.filter(verified=False, received_at__lt=cutoff))
