"""Shared helpers for the end-to-end tests (test_e2e_*.py): start a provider's fake server, point
our settings at it, drive our HTTP API, post the fake's webhooks, and take snapshots of the ledger
so that failure paths can assert that nothing changed."""

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import requests

from comrade.gateways.fakes.daraja import FakeDaraja
from comrade.gateways.fakes.paypal import FakePayPal
from comrade.gateways.fakes.server import FakeServer
from comrade.gateways.fakes.stripe import FakeStripe
from comrade.gateways.models import ExternalPayment, WebhookEvent
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken

CREATE_URL = "/payments/transactions/create_transaction/"
MPESA_SECRET = "cb-secret-e2e"


@contextmanager
def running(fake: FakeServer) -> Iterator[FakeServer]:
    """The fake for the length of a test; a bug inside the fake fails the test."""
    try:
        yield fake
        assert fake.errors == [], fake.errors
    finally:
        fake.stop()


def use_stripe(settings, fake: FakeStripe) -> None:
    settings.STRIPE_API_KEY = fake.api_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = fake.base_url
    settings.STRIPE_CONFIRMATION_URL = (
        f"{fake.base_url}/confirm/{{id}}?client_secret={{client_secret}}&return_url={{return_url}}"
    )


def use_paypal(settings, fake: FakePayPal) -> None:
    settings.PAYPAL_CLIENT_ID = fake.client_id
    settings.PAYPAL_SECRET = fake.client_secret
    settings.PAYPAL_WEBHOOK_ID = fake.webhook_id
    settings.PAYPAL_API_BASE = fake.base_url


def use_mpesa(settings, fake: FakeDaraja) -> None:
    settings.DEFAULT_CURRENCY = "KES"
    settings.MPESA_CONSUMER_KEY = fake.consumer_key
    settings.MPESA_CONSUMER_SECRET = fake.consumer_secret
    settings.MPESA_SHORTCODE = fake.shortcode
    settings.MPESA_PASSKEY = fake.passkey
    settings.MPESA_INITIATOR_NAME = fake.initiator_name
    settings.MPESA_SECURITY_CREDENTIAL = fake.security_credential
    settings.MPESA_CALLBACK_SECRET = MPESA_SECRET
    settings.MPESA_API_BASE = fake.base_url


# --- our API --------------------------------------------------------------------------------------


def create(client, *, provider: str, amount: str, transaction_type: str = "DEPOSIT", **extra):
    body = {
        "amount": amount,
        "payment_method": "EXTERNAL",
        "transaction_type": transaction_type,
        "external_payment_provider": provider,
        **extra,
    }
    return client.post(CREATE_URL, body, format="json")


def refund(client, txn: dict, amount: str | None = None):
    return client.post(f"/payments/transactions/{txn['id']}/refund/", {} if amount is None else {"amount": amount})


def customer_returns(client, provider: str, txn: dict):
    """The customer's browser lands on our return page after the provider's checkout."""
    return client.get(f"/payments/gateways/{provider}/return/", {"reference": txn["token"]})


def post_webhook(client, provider: str, body: bytes, headers: dict | None = None, *, path_secret: str = ""):
    """Deliver a webhook exactly as the provider sends it: the raw body and its headers."""
    meta = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in (headers or {}).items()
        if name.lower() != "content-type"
    }
    path = f"/payments/webhooks/{provider}/" + (f"{path_secret}/" if path_secret else "")
    return client.generic("POST", path, body, content_type="application/json", **meta)


def press_at_provider(url: str, decision: str = "approve") -> str:
    """The customer presses a button on the fake's hosted page (over real HTTP); returns the local
    path of our page the provider sends them back to."""
    answer = requests.post(url, data={"decision": decision}, allow_redirects=False, timeout=5)
    assert answer.status_code == 303, answer.text
    return re.sub(r"^https?://[^/]+", "", answer.headers["Location"])


def wait_for(check: Callable[[], object], seconds: float = 3.0) -> bool:
    """For what a fake does in its own thread after a stalled request."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# --- what the database holds -----------------------------------------------------------------------


def stored(txn: dict) -> TransactionToken:
    return TransactionToken.objects.get(token=txn["token"])


def payment_of(txn: dict) -> ExternalPayment:
    return ExternalPayment.objects.get(transaction__token=txn["token"])


def balance(code: str) -> Decimal:
    account = LedgerAccount.objects.filter(code=code).first()
    return account.balance if account else Decimal(0)


def statuses(txn: dict) -> list[str]:
    return [change.to_status for change in stored(txn).status_changes.order_by("id")]


def snapshot() -> dict:
    """Everything a failure path must leave alone: every non-zero balance (an account opened
    empty moves no money), the number of entries, every transaction and its status."""
    return {
        "balances": dict(LedgerAccount.objects.exclude(balance=0).values_list("code", "balance")),
        "entries": LedgerEntry.objects.count(),
        "transactions": list(TransactionToken.objects.order_by("pk").values_list("token", "status", "amount")),
    }


def verdicts(provider: str) -> list[str]:
    return list(WebhookEvent.objects.filter(provider=provider).order_by("pk").values_list("verdict", flat=True))
