"""The built-in sandbox provider's side: its records (`DatabaseStore`, which the adapter keeps its
state in) and its hosted checkout, where the customer approves or declines. The sandbox then
issues an authorization code and delivers an HMAC-signed webhook to our own webhook endpoint,
exactly as an outside provider would (over HTTP to SITE_URL by default; in-process when
SANDBOX_WEBHOOK_DELIVERY=inline, as the tests and single-process servers use)."""

import logging
import secrets
import threading
import uuid

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from comrade.gateways.models import ExternalPayment, SandboxObject
from comrade.gateways.providers.base import PaymentStatus
from comrade.gateways.providers.sandbox import SandboxRecord
from comrade.gateways.services import payment_authorize
from comrade.ledger.models import TransactionToken

logger = logging.getLogger(__name__)


class DatabaseStore:
    """The sandbox's records in our database, behind the adapter's `SandboxStore` interface."""

    def get(self, provider_reference: str) -> SandboxRecord | None:
        row = SandboxObject.objects.filter(provider_reference=provider_reference).first()
        return _record(row)

    def find(self, kind: str, reference: str) -> SandboxRecord | None:
        return _record(SandboxObject.objects.filter(kind=kind, reference=reference).first())

    def add(self, record: SandboxRecord) -> SandboxRecord:
        try:
            with transaction.atomic():
                SandboxObject.objects.create(
                    kind=record.kind,
                    reference=record.reference,
                    provider_reference=record.provider_reference,
                    amount=record.amount,
                    currency=record.currency,
                    status=record.status,
                    failure_code=record.failure_code,
                )
        except IntegrityError:
            pass
        return self.find(record.kind, record.reference)

    def set_status(self, provider_reference: str, status: PaymentStatus, *, only_from: PaymentStatus) -> SandboxRecord:
        SandboxObject.objects.filter(provider_reference=provider_reference, status=only_from).update(status=status)
        return self.get(provider_reference)


def _record(row: SandboxObject | None) -> SandboxRecord | None:
    if row is None:
        return None
    return SandboxRecord(
        kind=row.kind,
        reference=row.reference,
        provider_reference=row.provider_reference,
        amount=row.amount,
        currency=row.currency,
        status=PaymentStatus(row.status),
        failure_code=row.failure_code,
    )


STORE = DatabaseStore()


def decide(*, payment: ExternalPayment, approve: bool) -> TransactionToken:
    """The customer's answer on the checkout page. Only a payment still PENDING at the sandbox
    can be decided: one we cancelled there (expired, or cancelled by its owner) cannot be paid."""
    txn = payment.transaction
    record = STORE.get(payment.provider_reference)
    if record is None or record.status != PaymentStatus.PENDING:
        return txn
    outcome = PaymentStatus.SUCCEEDED if approve else PaymentStatus.FAILED
    if STORE.set_status(payment.provider_reference, outcome, only_from=PaymentStatus.PENDING).status != outcome:
        return txn
    if approve:
        code = f"SBX-AUTH-{secrets.token_hex(6).upper()}"
        txn = payment_authorize(txn, authorization_code=code)
        event = _event("payment.succeeded", payment, authorization_code=code)
    else:
        event = _event("payment.failed", payment, failure_reason="declined by the customer")
    deliver(event)
    txn.refresh_from_db()
    return txn


def _event(kind: str, payment: ExternalPayment, **extra) -> dict:
    txn = payment.transaction
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": kind,
        "data": {
            "reference": txn.token,
            "provider_reference": payment.provider_reference,
            "amount": str(txn.amount),
            "currency": txn.currency,
            **extra,
        },
    }


def deliver(event: dict) -> None:
    from comrade.gateways.providers.sandbox import sign_event
    from comrade.gateways.webhooks import webhook_receive

    body, headers = sign_event(event, secret=settings.SANDBOX_WEBHOOK_SECRET)
    if settings.SANDBOX_WEBHOOK_DELIVERY == "inline":
        webhook_receive(provider="sandbox", headers=headers, body=body)
        return
    url = f"{settings.SITE_URL}{reverse('webhook', args=['sandbox'])}"
    threading.Thread(target=_post, args=(url, body, headers), daemon=True).start()


def _post(url: str, body: bytes, headers: dict) -> None:
    try:
        requests.post(url, data=body, headers={**headers, "Content-Type": "application/json"}, timeout=10)
    except requests.RequestException as exc:
        logger.warning("sandbox webhook delivery to %s failed: %s", url, exc)
