"""MpesaGateway against FakeDaraja over real HTTP (no Django, no database)."""

import base64
import dataclasses
import json
import time
from datetime import datetime
from decimal import Decimal

import pytest

from comrade.gateways.fakes.daraja import FakeDaraja
from comrade.gateways.providers.base import (
    EventKind,
    GatewayError,
    PaymentRequest,
    PaymentStatus,
    PayoutRequest,
    WebhookRejected,
)
from comrade.gateways.providers.mpesa import (
    NAIROBI,
    MpesaConfig,
    MpesaGateway,
    daraja_timestamp,
    msisdn,
    stk_password,
    whole_shillings,
)

CALLBACK = "https://pay.example/payments/webhooks/mpesa/cb-secret/"


@pytest.fixture
def fake():
    server = FakeDaraja(
        shortcode="174379",
        passkey="pass-key",
        initiator_name="api-user",
        security_credential="encrypted-cred",
        b2c_shortcode="600999",
    )
    yield server
    assert server.errors == []
    server.stop()


def make_gateway(fake, **overrides) -> MpesaGateway:
    config = {
        "consumer_key": "daraja-key",
        "consumer_secret": "daraja-secret",
        "shortcode": "174379",
        "passkey": "pass-key",
        "callback_secret": "cb-secret",
        "initiator_name": "api-user",
        "security_credential": "encrypted-cred",
        "b2c_shortcode": "600999",
        "base_url": fake.base_url,
        "timeout": 0.5,
    }
    return MpesaGateway(MpesaConfig(**{**config, **overrides}))


@pytest.fixture
def gateway(fake):
    return make_gateway(fake)


def request(amount="100.00", currency="KES", phone="0712 345 678", callback=CALLBACK) -> PaymentRequest:
    return PaymentRequest(
        reference="TXN-0123456789abcdef",
        amount=Decimal(amount),
        currency=currency,
        description="Wallet top up",
        idempotency_key="TXN-0123456789abcdef",
        callback_url=callback,
        phone_number=phone,
    )


def callback(gateway, body: bytes, secret: str = "cb-secret"):
    return gateway.verify_webhook(headers={"Content-Type": "application/json"}, body=body, path_secret=secret)


# --- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount,expected", [("100", 100), ("100.00", 100), ("1", 1), ("250000.000", 250000)])
def test_whole_shilling_amounts_are_accepted(amount, expected):
    assert whole_shillings(Decimal(amount), "KES") == expected
    assert whole_shillings(Decimal(amount), "kes") == expected


@pytest.mark.parametrize(
    "amount,currency", [("100.50", "KES"), ("0.99", "KES"), ("0", "KES"), ("-5", "KES"), ("100", "USD"), ("100", "")]
)
def test_cents_and_other_currencies_are_refused(amount, currency):
    with pytest.raises(GatewayError) as caught:
        whole_shillings(Decimal(amount), currency)

    assert caught.value.retryable is False


@pytest.mark.parametrize(
    "phone", ["0712345678", "+254712345678", "254712345678", "712345678", "0712 345-678", "0112345678"]
)
def test_kenyan_numbers_are_normalised(phone):
    assert msisdn(phone) in ("254712345678", "254112345678")


@pytest.mark.parametrize("phone", ["", "12345", "0812345678", "+14155550100", "2547123456789", "07123456ab"])
def test_other_numbers_are_refused(phone):
    with pytest.raises(GatewayError):
        msisdn(phone)


def test_timestamp_is_nairobi_time():
    assert daraja_timestamp(datetime(2024, 1, 31, 21, 30, 5, tzinfo=NAIROBI)) == "20240131213005"
    assert daraja_timestamp(datetime.fromisoformat("2024-01-31T21:30:05+00:00")) == "20240201003005"


# --- STK push ----------------------------------------------------------------------------------


def test_stk_push_sends_what_daraja_expects(fake, gateway):
    session = gateway.create_payment(request())

    sent = fake.seen("/mpesa/stkpush/v1/processrequest")[0]
    body = sent.json()
    assert sent.header("Authorization").startswith("Bearer ")
    stamp = body["Timestamp"]
    assert (
        abs((datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI) - datetime.now(NAIROBI)).total_seconds())
        < 120
    )
    assert base64.b64decode(body["Password"]).decode() == f"174379pass-key{stamp}"
    assert body["Password"] == stk_password("174379", "pass-key", stamp)
    assert {
        k: body[k]
        for k in ("BusinessShortCode", "TransactionType", "Amount", "PartyA", "PartyB", "PhoneNumber", "CallBackURL")
    } == {
        "BusinessShortCode": "174379",
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 100,
        "PartyA": "254712345678",
        "PartyB": "174379",
        "PhoneNumber": "254712345678",
        "CallBackURL": CALLBACK,
    }
    assert len(body["AccountReference"]) <= 12 and len(body["TransactionDesc"]) <= 13
    assert session.status == PaymentStatus.PENDING
    assert session.provider_reference.startswith("ws_CO_") and session.redirect_url == ""


@pytest.mark.parametrize("overrides", [{"amount": "100.50"}, {"currency": "USD"}, {"phone": "12345"}, {"callback": ""}])
def test_refusals_happen_before_any_http(fake, gateway, overrides):
    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request(**overrides))

    assert caught.value.retryable is False
    assert fake.requests == []


def test_wrong_passkey_is_refused_by_daraja(fake):
    with pytest.raises(GatewayError) as caught:
        make_gateway(fake, passkey="wrong").create_payment(request())

    assert caught.value.retryable is False
    assert caught.value.code == "400.002.02"
    assert fake.stk == {}


def test_wrong_consumer_secret_is_refused(fake):
    with pytest.raises(GatewayError) as caught:
        make_gateway(fake, consumer_secret="wrong").create_payment(request())

    assert caught.value.retryable is False


def test_status_while_the_customer_has_not_answered_is_pending(fake, gateway):
    session = gateway.create_payment(request())

    assert gateway.get_payment(session.provider_reference).status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    "result_code,expected", [(1032, PaymentStatus.CANCELLED), (1037, PaymentStatus.FAILED), (1, PaymentStatus.FAILED)]
)
def test_status_after_the_customer_answers(fake, gateway, result_code, expected):
    approved = gateway.create_payment(request()).provider_reference
    declined = gateway.create_payment(request()).provider_reference
    fake.approve(approved)
    fake.decline(declined, result_code)

    assert gateway.get_payment(approved).status == PaymentStatus.SUCCEEDED
    assert gateway.get_payment(declined).status == expected


def test_token_is_cached_and_replaced_when_daraja_rejects_it(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    gateway.get_payment(checkout)
    assert len(fake.seen("/oauth/v1/generate")) == 1
    assert fake.seen("/oauth/v1/generate")[0].query == {"grant_type": ["client_credentials"]}

    fake.expire_tokens()

    assert gateway.get_payment(checkout).status == PaymentStatus.PENDING
    assert len(fake.seen("/oauth/v1/generate")) == 2


def test_a_hang_times_out_as_retryable(fake, gateway):
    fake.hang_next(1.5, path="/mpesa/")
    started = time.monotonic()

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is True
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("path", ["/oauth/v1/generate", "/mpesa/stkpush/"])
def test_server_errors_are_retryable(fake, gateway, path):
    fake.fail_next(500, path=path)

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is True


def test_server_error_on_the_status_query_is_retryable(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.fail_next(503, path="/mpesa/stkpushquery/")

    with pytest.raises(GatewayError) as caught:
        gateway.get_payment(checkout)

    assert caught.value.retryable is True


# --- callbacks ---------------------------------------------------------------------------------


def test_successful_stk_callback(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    receipt = fake.approve(checkout)

    event = callback(gateway, fake.stk_callback(checkout))

    assert event.kind == EventKind.PAYMENT_SUCCEEDED
    assert (event.provider_reference, event.reference) == (checkout, "")
    assert (event.amount, event.currency, event.authorization_code) == (Decimal(100), "KES", receipt)
    assert event.event_id == f"mpesa-stk-{checkout}"
    assert gateway.confirm_event(event) == event


def test_cancelled_stk_callback(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.decline(checkout, 1032)

    event = callback(gateway, fake.stk_callback(checkout))

    assert event.kind == EventKind.PAYMENT_FAILED
    assert "cancelled by user" in event.failure_reason and event.amount is None
    assert gateway.confirm_event(event) == event


@pytest.mark.parametrize("secret", ["", "wrong", "cb-secre", "cb-secret-and-more"])
def test_wrong_path_secret_is_rejected(fake, gateway, secret):
    checkout = gateway.create_payment(request()).provider_reference
    fake.approve(checkout)

    with pytest.raises(WebhookRejected):
        callback(gateway, fake.stk_callback(checkout), secret=secret)


def test_unconfigured_callback_secret_rejects_everything(fake):
    gateway = make_gateway(fake, callback_secret="")

    with pytest.raises(WebhookRejected):
        callback(gateway, b'{"Body": {"stkCallback": {}}}', secret="")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"Body": {"stkCallback": {"ResultCode": 0}}}',
        b'{"Result": {"ResultCode": 0}}',
        b'{"Body": "x"}',
    ],
)
def test_malformed_callbacks_are_rejected(gateway, body):
    with pytest.raises(WebhookRejected):
        callback(gateway, body)


def test_forged_success_while_daraja_is_still_waiting_is_not_confirmed(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    event = callback(gateway, fake.stk_callback(checkout, result_code=0))

    with pytest.raises(GatewayError) as caught:
        gateway.confirm_event(event)

    assert caught.value.retryable is True


def test_forged_success_for_a_cancelled_payment_is_rejected(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.decline(checkout, 1032)
    event = callback(gateway, fake.stk_callback(checkout, result_code=0))

    with pytest.raises(WebhookRejected):
        gateway.confirm_event(event)


def test_forged_failure_for_a_paid_payment_is_rejected(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.approve(checkout)
    event = callback(gateway, fake.stk_callback(checkout, result_code=1032))

    with pytest.raises(WebhookRejected):
        gateway.confirm_event(event)


def test_confirmed_success_without_an_amount_is_rejected(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.approve(checkout)
    event = callback(gateway, fake.stk_callback(checkout))

    with pytest.raises(WebhookRejected):
        gateway.confirm_event(dataclasses.replace(event, amount=None))


def test_a_callback_for_an_unknown_checkout_is_not_confirmed(fake, gateway):
    body = json.dumps(
        {
            "Body": {
                "stkCallback": {
                    "CheckoutRequestID": "ws_CO_forged",
                    "ResultCode": 0,
                    "CallbackMetadata": {"Item": [{"Name": "Amount", "Value": 5}]},
                }
            }
        }
    )
    event = callback(gateway, body.encode())

    with pytest.raises(GatewayError) as caught:
        gateway.confirm_event(event)

    assert caught.value.retryable is False


def test_confirmation_outage_is_retryable(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.approve(checkout)
    event = callback(gateway, fake.stk_callback(checkout))
    fake.fail_next(503, path="/mpesa/stkpushquery/")

    with pytest.raises(GatewayError) as caught:
        gateway.confirm_event(event)

    assert caught.value.retryable is True


# --- B2C payouts -------------------------------------------------------------------------------


def payout_request(amount="50", currency="KES", destination="+254712345678", callback_url=CALLBACK) -> PayoutRequest:
    return PayoutRequest(
        reference="TXN-9",
        amount=Decimal(amount),
        currency=currency,
        destination=destination,
        idempotency_key="TXN-9",
        description="Withdrawal",
        callback_url=callback_url,
    )


def test_b2c_payout_request_and_successful_result(fake, gateway):
    result = gateway.payout(payout_request())

    body = fake.seen("/mpesa/b2c/v3/paymentrequest")[0].json()
    assert {
        k: body[k]
        for k in (
            "InitiatorName",
            "SecurityCredential",
            "CommandID",
            "Amount",
            "PartyA",
            "PartyB",
            "ResultURL",
            "QueueTimeOutURL",
            "OriginatorConversationID",
        )
    } == {
        "InitiatorName": "api-user",
        "SecurityCredential": "encrypted-cred",
        "CommandID": "BusinessPayment",
        "Amount": 50,
        "PartyA": "600999",
        "PartyB": "254712345678",
        "ResultURL": CALLBACK,
        "QueueTimeOutURL": CALLBACK,
        "OriginatorConversationID": "TXN-9",
    }
    assert result.status == PaymentStatus.PENDING and result.provider_reference.startswith("AG_")
    event = callback(gateway, fake.b2c_result(result.provider_reference))
    assert (event.kind, event.provider_reference, event.amount) == (
        EventKind.PAYOUT_SUCCEEDED,
        result.provider_reference,
        Decimal(50),
    )
    assert event.authorization_code and gateway.confirm_event(event) == event


def test_b2c_failure_result(fake, gateway):
    result = gateway.payout(payout_request())

    event = callback(gateway, fake.b2c_result(result.provider_reference, result_code=1))

    assert event.kind == EventKind.PAYOUT_FAILED
    assert "insufficient" in event.failure_reason


def test_b2c_with_invalid_initiator_fails_in_its_result(fake):
    gateway = make_gateway(fake, security_credential="stale")
    result = gateway.payout(payout_request())

    event = callback(gateway, fake.b2c_result(result.provider_reference))

    assert event.kind == EventKind.PAYOUT_FAILED and "initiator" in event.failure_reason


def test_b2c_v1_path_can_be_configured(fake):
    make_gateway(fake, b2c_path="/mpesa/b2c/v1/paymentrequest").payout(payout_request())

    assert len(fake.seen("/mpesa/b2c/v1/paymentrequest")) == 1


def test_b2c_falls_back_to_the_configured_result_url(fake):
    make_gateway(fake, result_url="https://pay.example/results/").payout(payout_request(callback_url=""))

    assert fake.seen("/mpesa/b2c/")[0].json()["ResultURL"] == "https://pay.example/results/"


@pytest.mark.parametrize(
    "overrides,config",
    [
        ({"amount": "50.50"}, {}),
        ({"currency": "USD"}, {}),
        ({"destination": "friend@example.com"}, {}),
        ({"callback_url": ""}, {}),
        ({}, {"initiator_name": ""}),
    ],
)
def test_b2c_refusals_happen_before_any_http(fake, overrides, config):
    with pytest.raises(GatewayError) as caught:
        make_gateway(fake, **config).payout(payout_request(**overrides))

    assert caught.value.retryable is False
    assert fake.seen("/mpesa/") == []


def test_b2c_timeout_is_retryable(fake, gateway):
    fake.hang_next(1.5, path="/mpesa/b2c/")

    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request())

    assert caught.value.retryable is True


def test_refunds_are_not_offered(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.refund(provider_reference="ws_CO_1", amount=Decimal(1), currency="KES", idempotency_key="RF")

    assert caught.value.retryable is False
    assert "refunds" not in gateway.supports and not gateway.supports_currency("USD")


# --- transaction status ------------------------------------------------------------------------


def test_transaction_status_query_result_is_informational(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    receipt = fake.approve(checkout)

    conversation = gateway.transaction_status(transaction_id=receipt, result_url=CALLBACK)

    sent = fake.seen("/mpesa/transactionstatus/v1/query")[0].json()
    assert (sent["CommandID"], sent["TransactionID"], sent["Initiator"]) == (
        "TransactionStatusQuery",
        receipt,
        "api-user",
    )
    url, body = fake.outbox[-1]
    event = callback(gateway, body)
    assert url == CALLBACK and conversation.startswith("AG_")
    assert (event.kind, event.amount) == (EventKind.OTHER, Decimal(100))
