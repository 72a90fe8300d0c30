"""Error reports leave without money, credentials or request bodies (config/sentry.py)."""

import copy
import json
import logging

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from config.sentry import init_sentry, scrub_event

SECRETS = (
    "1234.56",
    "777.00",
    "4242 4242 4242 4242",
    "4000056655665556",
    "DE89370400440532013000",
    "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.c2lnbmF0dXJl",
    "hunter2",
    "whsec_live_abc",
    "s3cr3t-path",
    "sessionid=abc",
)


def realistic_event() -> dict:
    return {
        "event_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "level": "error",
        "logger": "comrade.transfers.services",
        "message": "transfer failed: amount=1234.56 balance: 777.00",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "card 4242 4242 4242 4242 refused for IBAN DE89370400440532013000",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "comrade/ledger/services.py",
                                "lineno": 150,
                                "vars": {"amount": "Decimal('1234.56')", "legs": "[Leg(1, amount=Decimal('777.00'))]"},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://pay.example.com/payments/webhooks/mpesa/s3cr3t-path/",
            "method": "POST",
            "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.c2lnbmF0dXJl"},
            "cookies": "sessionid=abc",
            "data": {"amount": "1234.56", "card_number": "4000056655665556", "password": "hunter2"},
        },
        "extra": {
            "comrade_balance": "777.00",
            "total_sent": "1234.56",
            "total_received": "1234.56",
            "transaction_token": "TXN-KEEP-ME",
            "stripe_webhook_secret": "whsec_live_abc",
            "refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.c2lnbmF0dXJl",
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "UPDATE wallet SET balance = 777.00", "data": {"amount": "1234.56"}},
                {"category": "comrade", "message": "payout to DE89370400440532013000", "data": {"user_id": 7}},
            ]
        },
        "contexts": {"trace": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "op": "http.server"}},
        "user": {"id": 7},
    }


def test_the_scrubber_removes_money_secrets_and_the_body():
    event = scrub_event(realistic_event(), {})
    text = json.dumps(event)
    for secret in SECRETS:
        assert secret not in text, secret
    assert "data" not in event["request"] and "cookies" not in event["request"]
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert event["request"]["url"] == "https://pay.example.com/payments/webhooks/mpesa/[Filtered]/"


def test_the_scrubber_keeps_what_is_needed_to_find_the_problem():
    event = scrub_event(realistic_event(), {})
    assert event["event_id"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert event["extra"]["transaction_token"] == "TXN-KEEP-ME"
    assert event["contexts"]["trace"]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["lineno"] == 150
    assert event["message"] == "transfer failed: amount=[Filtered] balance: [Filtered]"
    assert event["breadcrumbs"]["values"][1]["data"] == {"user_id": 7} and event["user"] == {"id": 7}
    assert event["request"]["method"] == "POST"


def test_the_scrubber_does_not_change_its_input_beyond_the_request():
    original = realistic_event()
    kept = copy.deepcopy(original)
    scrub_event(original, {})
    assert original["extra"] == kept["extra"] and original["breadcrumbs"] == kept["breadcrumbs"]


def test_sentry_is_not_started_without_a_dsn(monkeypatch):
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))
    assert init_sentry(dsn="", environment="production", traces_sample_rate=0.0) is False
    assert calls == []


def test_sentry_is_started_with_a_dsn_and_the_safe_options(monkeypatch):
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))
    dsn = "https://public@sentry.example.com/1"
    assert init_sentry(dsn=dsn, environment="staging", traces_sample_rate=0.25, release="1.2.3") is True
    [options] = calls
    assert options["dsn"] == dsn and options["environment"] == "staging" and options["release"] == "1.2.3"
    assert options["traces_sample_rate"] == 0.25
    assert options["send_default_pii"] is False and options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["before_send"] is scrub_event and options["before_send_transaction"] is scrub_event
    crumb = options["before_breadcrumb"]({"message": "refund amount: 50.00", "data": {"balance": "9.00"}}, {})
    assert crumb == {"message": "refund amount: [Filtered]", "data": {"balance": "[Filtered]"}}
    kinds = {type(integration) for integration in options["integrations"]}
    assert kinds == {DjangoIntegration, CeleryIntegration, LoggingIntegration}
    [logging_integration] = [i for i in options["integrations"] if isinstance(i, LoggingIntegration)]
    assert logging_integration._handler.level == logging.ERROR
