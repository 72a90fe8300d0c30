"""The built-in sandbox provider's hosted checkout: the customer approves or declines, the
sandbox issues an authorization code and delivers an HMAC-signed webhook to our own webhook
endpoint, exactly as an outside provider would (over HTTP to SITE_URL by default; in-process when
SANDBOX_WEBHOOK_DELIVERY=inline, as the tests and single-process servers use)."""

import logging
import secrets
import threading
import uuid

import requests
from django.conf import settings
from django.urls import reverse

from comrade.gateways.models import ExternalPayment
from comrade.gateways.services import payment_authorize
from comrade.ledger.models import TransactionToken

logger = logging.getLogger(__name__)


def decide(*, payment: ExternalPayment, approve: bool) -> TransactionToken:
    txn = payment.transaction
    if txn.status != TransactionToken.Status.PENDING:
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
