"""/metrics: django-prometheus's request metrics and our business figures, for Prometheus only
(an allowed address or the bearer token); anyone else sees a 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from comrade.gateways.models import ExternalPayment
from comrade.transfers.services import transfer_create

pytestmark = pytest.mark.django_db
DEPOSIT_URL = "/payments/transactions/create_transaction/"


def samples(response) -> dict[tuple[str, frozenset], float]:
    text = response.content.decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found, name, **labels) -> float:
    return found[(name, frozenset(labels.items()))]


def test_from_an_allowed_address_it_shows_requests_and_business_figures(client, make_user, api):
    payer, payee = make_user(balance="10.00"), make_user()
    transfer_create(sender=payer, receiver_id=payee.pk, amount=Decimal("4.00"))
    transfer_create(sender=payer, receiver_id=payee.pk, amount=Decimal("50.00"))  # insufficient funds
    deposit = {"amount": "40.00", "payment_method": "EXTERNAL", "transaction_type": "DEPOSIT"}
    assert api.post(DEPOSIT_URL, {**deposit, "external_payment_provider": "sandbox"}).status_code < 300
    assert api.post(DEPOSIT_URL, {**deposit, "external_payment_provider": "sandbox"}).status_code < 300
    ExternalPayment.objects.filter(pk=ExternalPayment.objects.first().pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    found = samples(response)
    assert any(name == "django_http_requests_total_by_view_transport_method_total" for name, _ in found)
    assert value(found, "comrade_transactions_finished_total", type="TRANSFER", status="COMPLETED") == 1
    assert value(found, "comrade_transactions_finished_total", type="TRANSFER", status="FAILED") == 1
    assert value(found, "comrade_transaction_failures_total", type="TRANSFER", code="insufficient_funds") == 1
    assert value(found, "comrade_reconciliation_open_payments") == 2
    assert value(found, "comrade_reconciliation_flagged_payments") == 1
    assert value(found, "comrade_business_metrics_up") == 1


@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},  # a public caller through a local proxy
        {"REMOTE_ADDR": "203.0.113.9", "HTTP_AUTHORIZATION": "Bearer a-wrong-token"},
    ],
)
def test_anyone_else_gets_a_404(client, settings, meta):
    settings.METRICS_TOKEN = "the-scrape-token-0123456789"
    response = client.get("/metrics", **meta)
    assert response.status_code == 404
    assert b"comrade_" not in response.content


def test_the_bearer_token_opens_it_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "the-scrape-token-0123456789"
    meta = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer the-scrape-token-0123456789", **meta)
    assert response.status_code == 200 and b"comrade_reconciliation_open_payments" in response.content


def test_no_token_configured_means_no_token_is_accepted(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_an_allowed_network_may_be_given_as_cidr(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_an_unreadable_database_still_gives_the_request_metrics(client, monkeypatch):
    def broken():
        raise DatabaseError("server closed the connection")

    monkeypatch.setattr("comrade.core.metrics.transaction_counts", broken)
    response = client.get("/metrics")
    assert response.status_code == 200
    found = samples(response)
    assert value(found, "comrade_business_metrics_up") == 0
    assert any(name.startswith("django_http_") for name, _ in found)
