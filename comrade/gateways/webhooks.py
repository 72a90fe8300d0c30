"""Receiving provider webhooks: verify first, store the event, claim its id, confirm with the
provider where it has no signatures (Daraja), then apply it in its own atomic block."""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from comrade.gateways import services
from comrade.gateways.models import ExternalPayment, WebhookEvent
from comrade.gateways.providers.base import EventKind, GatewayError, WebhookRejected
from comrade.gateways.providers.base import WebhookEvent as Event
from comrade.gateways.registry import gateway_for

logger = logging.getLogger(__name__)
Verdict = WebhookEvent.Verdict


@dataclass(frozen=True)
class Outcome:
    status_code: int
    verdict: str
    reason: str = ""


def webhook_receive(*, provider: str, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> Outcome:
    gateway = gateway_for(provider, field="provider")
    try:
        event = gateway.verify_webhook(headers=headers, body=body, path_secret=path_secret)
    except WebhookRejected as exc:
        _record(provider, body, verdict=Verdict.REJECTED, reason=exc.reason)
        return Outcome(400, Verdict.REJECTED, exc.reason)
    record = _claim(provider, body, event)
    if record is None:
        return Outcome(200, Verdict.DUPLICATE, "event already received")
    try:
        event = gateway.confirm_event(event)
    except (GatewayError, WebhookRejected) as exc:
        _release(record, f"could not confirm with the provider: {exc}")
        return Outcome(503, Verdict.REJECTED, "could not confirm with the provider; retry later")
    try:
        verdict, reason, txn = _apply(provider, event)
    except Exception:
        _release(record, "error while applying")
        raise
    WebhookEvent.objects.filter(pk=record.pk).update(verdict=verdict, reason=reason[:255], transaction=txn)
    return Outcome(400 if reason.startswith("rejected") else 200, verdict, reason)


def _payload(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None


def _record(provider: str, body: bytes, *, verdict: str, reason: str = "", event_id: str = "") -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider=provider,
        event_id=event_id[:255],
        payload=_payload(body),
        raw_body=body.decode("utf-8", "replace")[:20000],
        verdict=verdict,
        reason=reason[:255],
    )


def _claim(provider: str, body: bytes, event: Event) -> WebhookEvent | None:
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(
                provider=provider,
                event_id=event.event_id,
                verified=True,
                payload=_payload(body),
                raw_body=body.decode("utf-8", "replace")[:20000],
            )
    except IntegrityError:
        _record(provider, body, verdict=Verdict.DUPLICATE, reason="event already received", event_id=event.event_id)
        return None


def _release(record: WebhookEvent, reason: str) -> None:
    """Give the event id back so that the provider's retry can be applied."""
    WebhookEvent.objects.filter(pk=record.pk).update(verified=False, verdict=Verdict.REJECTED, reason=reason[:255])


def _find(provider: str, event: Event) -> ExternalPayment | None:
    payments = ExternalPayment.objects.select_related("transaction").filter(provider=provider)
    if event.provider_reference:
        found = payments.filter(provider_reference=event.provider_reference).first()
        if found:
            return found
    if event.reference:
        return payments.filter(transaction__token=event.reference).first()
    return None


def _apply(provider: str, event: Event):
    payment = _find(provider, event)
    if payment is None:
        logger.info("webhook %s for unknown payment %s/%s", event.event_id, event.reference, event.provider_reference)
        return Verdict.IGNORED, "unknown transaction", None
    txn = payment.transaction
    reason = _dispatch(payment, event)
    return (
        (Verdict.APPLIED if not reason else Verdict.IGNORED if reason.startswith("ignored") else Verdict.REJECTED),
        reason,
        txn,
    )


def _dispatch(payment: ExternalPayment, event: Event) -> str:
    txn = payment.transaction
    incoming = payment.direction == ExternalPayment.Direction.IN
    if event.kind == EventKind.PAYMENT_SUCCEEDED and incoming:
        if event.amount is None:
            return "rejected: the event carries no amount"
        return services.payment_complete(
            txn, amount=event.amount, currency=event.currency, authorization_code=event.authorization_code
        )
    before = txn.status
    if event.kind == EventKind.PAYMENT_FAILED and incoming:
        txn = services.payment_fail(txn, reason=event.failure_reason or "provider reports the payment failed")
        return _moved_on(before, txn)
    if event.kind in (EventKind.PAYOUT_SUCCEEDED, EventKind.REFUND_SUCCEEDED) and not incoming:
        if event.amount is not None and event.amount != txn.amount:
            return "rejected: amount does not match"
        return _moved_on(before, services.outbound_finish(txn, succeeded=True))
    if event.kind in (EventKind.PAYOUT_FAILED, EventKind.REFUND_FAILED) and not incoming:
        txn = services.outbound_finish(
            txn, succeeded=False, reason=event.failure_reason or "provider reports the payout failed"
        )
        return _moved_on(before, txn)
    return f"ignored: {event.kind} does not apply to this transaction"


def _moved_on(before: str, txn) -> str:
    """Empty when the event moved the transaction on; a late event for one that already ended is
    ignored."""
    return "" if txn.status != before else f"ignored: transaction is already {txn.status}"
