import pytest
from django.conf import settings
from rest_framework.test import APIClient

from comrade.core.testing.concurrency import run_together
from comrade.gateways.providers.sandbox import sign_event
from comrade.gateways.tests.conftest import event_data
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerEntry
from comrade.ledger.selectors import balance_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_event_twice_at_the_same_moment_is_applied_once(user, deposit):
    txn = deposit("40.00").data
    body, headers = sign_event(
        {"id": "evt_race", "type": "payment.succeeded", "data": event_data(txn)}, secret=settings.SANDBOX_WEBHOOK_SECRET
    )

    def post():
        return (
            APIClient()
            .generic(
                "POST",
                "/payments/webhooks/sandbox/",
                body,
                content_type="application/json",
                HTTP_SANDBOX_SIGNATURE=headers["Sandbox-Signature"],
            )
            .status_code
        )

    assert run_together([post] * 6) == [200] * 6
    assert balance_of(user) == 140
    assert LedgerEntry.objects.filter(transaction__token=txn["token"]).count() == 2
    assert run_all() == []
