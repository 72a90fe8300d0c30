"""The sandbox checkout as a person uses it, against a running server: follow the redirect URL,
press Approve, and the sandbox's signed webhook travels over HTTP to our webhook endpoint."""

import re
import time
from decimal import Decimal

import pytest
import requests

from comrade.ledger.selectors import balance_of


@pytest.fixture
def live_settings(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SANDBOX_WEBHOOK_DELIVERY = "http"
    return live_server


def wait_for(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_user_approves_on_the_checkout_page_and_the_balance_changes(live_settings, make_user):
    make_user(email="payer@example.com", password="Payer-pass-123", balance="10.00")
    web = requests.Session()
    base = live_settings.url
    tokens = web.post(
        f"{base}/api/auth/token/", json={"email": "payer@example.com", "password": "Payer-pass-123"}, timeout=10
    ).json()
    auth = {"Authorization": f"Bearer {tokens['access']}"}
    created = web.post(
        f"{base}/payments/transactions/create_transaction/",
        headers=auth,
        timeout=10,
        json={
            "amount": "25.00",
            "payment_method": "EXTERNAL",
            "transaction_type": "DEPOSIT",
            "external_payment_provider": "sandbox",
        },
    )
    assert created.status_code == 201, created.text
    checkout = created.json()["next_action"]["redirect_url"]
    assert checkout.startswith(base)

    browser = requests.Session()
    page = browser.get(checkout, timeout=10)
    assert page.status_code == 200 and "Approve" in page.text and "25.00" in page.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    result = browser.post(
        checkout, data={"csrfmiddlewaretoken": csrf, "decision": "approve"}, headers={"Referer": checkout}, timeout=10
    )
    assert result.status_code == 200

    def balance() -> str:
        return web.get(f"{base}/payments/payment-profiles/balance/", headers=auth, timeout=10).json()["balance"]

    assert wait_for(lambda: balance() == "35.00"), balance()
    from comrade.accounts.models import User

    assert balance_of(User.objects.get(email="payer@example.com")) == Decimal("35.00")
