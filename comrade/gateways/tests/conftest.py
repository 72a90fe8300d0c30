import json
import time
import uuid

import pytest
from django.conf import settings

from comrade.gateways.providers.sandbox import sign_event

DEPOSIT_URL = "/payments/transactions/create_transaction/"


@pytest.fixture
def deposit(api):
    def start(amount="40.00", provider="sandbox", **extra):
        body = {
            "amount": amount,
            "payment_method": "EXTERNAL",
            "transaction_type": "DEPOSIT",
            "external_payment_provider": provider,
            **extra,
        }
        return api.post(DEPOSIT_URL, body)

    return start


@pytest.fixture
def sandbox_webhook(client_for):
    """Post a sandbox event to our webhook endpoint, signed like the sandbox signs it."""

    def post(kind: str, data: dict, *, event_id: str | None = None, secret: str | None = None, timestamp=None):
        payload = {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": kind, "data": data}
        body, headers = sign_event(
            payload,
            secret=secret or settings.SANDBOX_WEBHOOK_SECRET,
            timestamp=timestamp if timestamp is not None else int(time.time()),
        )
        return client_for().generic(
            "POST",
            "/payments/webhooks/sandbox/",
            body,
            content_type="application/json",
            HTTP_SANDBOX_SIGNATURE=headers["Sandbox-Signature"],
        )

    return post


def event_data(txn: dict, **overrides) -> dict:
    from comrade.gateways.models import ExternalPayment

    payment = ExternalPayment.objects.get(transaction__token=txn["token"])
    return {
        "reference": txn["token"],
        "provider_reference": payment.provider_reference,
        "amount": txn["amount"],
        "currency": txn["currency"],
        **overrides,
    }


def dumps(value) -> str:
    return json.dumps(value)
