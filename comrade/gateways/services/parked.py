"""Early events: a verified event about a payment we cannot match yet (a payout's webhook that
arrives before we stored the provider's reference) is kept as PARKED with what it said, and
applied as soon as the reference is known: when it is stored, and on every reconciliation run."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from comrade.gateways.models import ExternalPayment, WebhookEvent
from comrade.gateways.providers.base import EventKind
from comrade.gateways.providers.base import WebhookEvent as Event

Verdict = WebhookEvent.Verdict


def event_to_json(event: Event) -> dict:
    return {
        "kind": str(event.kind),
        "reference": event.reference,
        "provider_reference": event.provider_reference,
        "amount": None if event.amount is None else str(event.amount),
        "currency": event.currency,
        "authorization_code": event.authorization_code,
        "failure_code": event.failure_code,
        "failure_reason": event.failure_reason,
    }


def event_from_json(event_id: str, data: dict) -> Event:
    amount = data.get("amount")
    return Event(
        event_id=event_id,
        kind=EventKind(data["kind"]),
        reference=data.get("reference", ""),
        provider_reference=data.get("provider_reference", ""),
        amount=None if amount is None else Decimal(amount),
        currency=data.get("currency", ""),
        authorization_code=data.get("authorization_code", ""),
        failure_code=data.get("failure_code", ""),
        failure_reason=data.get("failure_reason", ""),
    )


def parked_apply(payment: ExternalPayment) -> int:
    """Apply the parked events that belong to `payment`. Each is taken with its row locked, so a
    parked event is applied once even when two workers look at the same moment."""
    from comrade.gateways.webhooks import event_apply

    match = Q(event__reference=payment.transaction.token)
    if payment.provider_reference:
        match |= Q(provider_reference=payment.provider_reference)
    ids = list(
        WebhookEvent.objects.filter(match, provider=payment.provider, verdict=Verdict.PARKED).values_list(
            "pk", flat=True
        )
    )
    applied = 0
    for pk in ids:
        with transaction.atomic():
            record = WebhookEvent.objects.select_for_update().filter(pk=pk, verdict=Verdict.PARKED).first()
            if record is None:
                continue
            verdict, reason = event_apply(payment, event_from_json(record.event_id, record.event))
            WebhookEvent.objects.filter(pk=pk).update(
                verdict=verdict, reason=reason[:255], transaction=payment.transaction
            )
            applied += 1
    return applied


def parked_sweep() -> int:
    """Reconciliation's pass over parked events whose payment has become known."""
    applied = 0
    for record in WebhookEvent.objects.filter(verdict=Verdict.PARKED).order_by("id")[:500]:
        payment = find_payment(record.provider, event_from_json(record.event_id, record.event))
        if payment is not None:
            applied += parked_apply(payment)
    return applied


def find_payment(provider: str, event: Event) -> ExternalPayment | None:
    payments = ExternalPayment.objects.select_related("transaction").filter(provider=provider)
    if event.provider_reference:
        found = payments.filter(provider_reference=event.provider_reference).first()
        if found:
            return found
    if event.reference:
        return payments.filter(transaction__token=event.reference).first()
    return None
