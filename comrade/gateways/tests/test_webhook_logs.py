"""A deposit, its TXN- token and the provider's webhook can be joined with one grep."""

import pytest

from comrade.core.tests.log_capture import capture_json_logs
from comrade.gateways.tests.conftest import event_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_logs():
    with capture_json_logs() as captured:
        yield captured


def test_the_deposit_request_and_its_webhook_share_the_transaction_token(deposit, sandbox_webhook, json_logs, user):
    txn = deposit("40.00").data
    assert sandbox_webhook("payment.succeeded", event_data(txn), event_id="evt_joined").status_code == 200
    lines = [line for line in json_logs.lines() if line.get("transaction_token") == txn["token"]]
    opened, webhook = (line for line in lines if line["event"] == "request_finished")
    assert opened["user_id"] == user.pk and opened["code"] == 201
    assert webhook["request"] == "POST /payments/webhooks/sandbox/" and webhook["code"] == 200
    assert webhook["webhook_provider"] == "sandbox" and webhook["webhook_event_id"] == "evt_joined"
    assert opened["request_id"] != webhook["request_id"]
    [applied] = json_logs.where(event="webhook evt_joined from sandbox: APPLIED")
    assert applied["transaction_token"] == txn["token"] and applied["request_id"] == webhook["request_id"]


def test_a_rejected_webhook_is_logged_without_its_body(sandbox_webhook, json_logs):
    response = sandbox_webhook("payment.succeeded", {"reference": "TXN-NOPE", "amount": "99.00"}, secret="wrong")
    assert response.status_code == 400
    [line] = json_logs.where(level="warning", logger="comrade.gateways.webhooks")
    assert line["event"].startswith("webhook from sandbox rejected")
    assert "TXN-NOPE" not in json_logs.stream.getvalue() and "99.00" not in json_logs.stream.getvalue()
