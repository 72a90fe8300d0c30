"""MpesaGateway asking Daraja where things stand (reconciliation), against FakeDaraja over real
HTTP: STK push query ResultCodes final and not, no STK cancel, and the B2C Transaction Status
query whose answer arrives later on the ResultURL and becomes a payout event for the payout we
stored - even when we never stored its ConversationID."""

import json
from decimal import Decimal

import pytest

from comrade.gateways.fakes.daraja import FakeDaraja
from comrade.gateways.providers.base import EventKind, GatewayError, PaymentStatus
from comrade.gateways.tests.test_providers_mpesa import CALLBACK, callback, make_gateway, payout_request, request


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


@pytest.fixture
def gateway(fake):
    return make_gateway(fake, result_url=CALLBACK)


# --- STK push ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pending_answer", ["500.001.1001", "4999"])
def test_stk_still_being_processed_is_pending_in_both_of_darajas_shapes(fake, gateway, pending_answer):
    fake.stk_pending_answer = pending_answer
    checkout = gateway.create_payment(request()).provider_reference

    session = gateway.get_payment(checkout)

    assert (session.status, session.failure_code) == (PaymentStatus.PENDING, "")
    assert not session.status.is_final


@pytest.mark.parametrize(
    "code,expected",
    [
        (1032, PaymentStatus.CANCELLED),
        (1037, PaymentStatus.FAILED),
        (1, PaymentStatus.FAILED),
        (2001, PaymentStatus.FAILED),
    ],
)
def test_stk_result_codes_are_final_with_a_stable_code(fake, gateway, code, expected):
    checkout = gateway.create_payment(request()).provider_reference
    fake.decline(checkout, result_code=code)

    session = gateway.get_payment(checkout)

    assert (session.status, session.failure_code) == (expected, f"mpesa_{code}")
    assert session.status.is_final and session.amount is None


def test_stk_success_is_final(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.approve(checkout)

    session = gateway.get_payment(checkout)

    assert (session.status, session.currency, session.failure_code) == (PaymentStatus.SUCCEEDED, "KES", "")


def test_a_4999_answer_does_not_contradict_a_success_callback(fake, gateway):
    """Daraja may still say 4999 when the callback has already arrived: ask again, never reject."""
    fake.stk_pending_answer = "4999"
    checkout = gateway.create_payment(request()).provider_reference
    fake.approve(checkout)
    event = callback(gateway, fake.stk_callback(checkout))
    fake.stk[checkout]["result_code"] = None

    with pytest.raises(GatewayError) as caught:
        gateway.confirm_event(event)

    assert caught.value.retryable is True


def test_failed_stk_callbacks_carry_the_result_code(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.decline(checkout, result_code=1037)
    (delivery,) = fake.deliver_pending(send=lambda d: None)

    event = callback(gateway, delivery.body)

    assert delivery.url == CALLBACK
    assert (event.kind, event.failure_code, event.provider_reference) == (
        EventKind.PAYMENT_FAILED,
        "mpesa_1037",
        checkout,
    )


def test_there_is_no_stk_cancel(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference

    with pytest.raises(GatewayError) as caught:
        gateway.cancel_payment(checkout)

    assert (caught.value.retryable, caught.value.code) == (False, "unsupported")
    assert fake.stk[checkout]["result_code"] is None


def test_a_hung_stk_query_is_retryable(fake, gateway):
    checkout = gateway.create_payment(request()).provider_reference
    fake.chaos(timeout_next=1, timeout_seconds=1.5, path="/mpesa/stkpushquery/")

    with pytest.raises(GatewayError) as caught:
        gateway.get_payment(checkout)

    assert caught.value.retryable is True


# --- B2C payouts ---------------------------------------------------------------------------------


def status_result(fake, gateway, delivery_kind="status"):
    """The Transaction Status Result Daraja posts later, as our webhook endpoint would verify it."""
    sent = fake.deliver_pending(send=lambda d: None)
    (delivery,) = [d for d in sent if d.kind == delivery_kind]
    assert delivery.url == CALLBACK
    return callback(gateway, delivery.body)


@pytest.mark.parametrize(
    "result_code,kind,code",
    [(0, EventKind.PAYOUT_SUCCEEDED, ""), (1, EventKind.PAYOUT_FAILED, "mpesa_failed")],
)
def test_payout_status_query_answers_later_with_a_payout_event(fake, gateway, result_code, kind, code):
    conversation = gateway.payout(payout_request()).provider_reference
    fake.settle_b2c(conversation, result_code=result_code)
    fake.pending.clear()  # the B2C Result itself was lost

    result = gateway.get_payout(provider_reference=conversation, reference="TXN-9")
    assert (result.provider_reference, result.status) == (conversation, PaymentStatus.PENDING)
    sent = fake.seen("/mpesa/transactionstatus/")[0].json()
    assert (sent["CommandID"], sent["OriginalConversationID"], sent["PartyA"], sent["ResultURL"]) == (
        "TransactionStatusQuery",
        "TXN-9",
        "600999",
        CALLBACK,
    )

    event = status_result(fake, gateway)

    assert (event.kind, event.provider_reference, event.reference, event.failure_code) == (
        kind,
        conversation,
        "TXN-9",
        code,
    )
    assert event.amount == Decimal(50) and event.event_id.startswith("mpesa-status-")


def test_a_payout_whose_conversation_id_we_never_stored_is_found_by_our_reference(fake, gateway):
    fake.chaos(error_after_next=1, path="/mpesa/b2c/")
    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request())
    assert caught.value.retryable is True
    (conversation,) = fake.b2c
    fake.settle_b2c(conversation)
    fake.pending.clear()

    gateway.get_payout(provider_reference="", reference="TXN-9")
    event = status_result(fake, gateway)

    assert (event.kind, event.provider_reference, event.reference) == (
        EventKind.PAYOUT_SUCCEEDED,
        conversation,
        "TXN-9",
    )
    assert len(fake.b2c) == 1 and len(fake.seen("/mpesa/b2c/")) == 1


def test_a_payout_still_pending_or_unknown_at_daraja_is_never_a_failure(fake, gateway):
    conversation = gateway.payout(payout_request()).provider_reference
    gateway.get_payout(provider_reference=conversation, reference="TXN-9")
    pending = status_result(fake, gateway)

    gateway.get_payout(provider_reference="", reference="TXN-NEVER-SENT")
    unknown = status_result(fake, gateway)

    assert (pending.kind, pending.provider_reference, pending.failure_code) == (EventKind.OTHER, conversation, "")
    assert (unknown.kind, unknown.failure_code) == (EventKind.OTHER, "mpesa_1")


def test_the_b2c_result_sent_by_the_fake_is_a_payout_event(fake, gateway):
    conversation = gateway.payout(payout_request()).provider_reference
    fake.settle_b2c(conversation, result_code=1)

    event = status_result(fake, gateway, delivery_kind="b2c")

    assert (event.kind, event.provider_reference, event.failure_code) == (
        EventKind.PAYOUT_FAILED,
        conversation,
        "mpesa_1",
    )


def test_payout_status_needs_our_reference_and_a_configured_result_url(fake):
    with pytest.raises(GatewayError) as caught:
        make_gateway(fake, result_url=CALLBACK).get_payout(provider_reference="AG_1", reference="")
    assert caught.value.retryable is False

    with pytest.raises(GatewayError) as caught:
        make_gateway(fake).get_payout(provider_reference="AG_1", reference="TXN-9")
    assert caught.value.code == "not_configured" and fake.seen("/mpesa/transactionstatus/") == []


def test_a_status_query_that_fails_after_daraja_accepted_it_is_retryable_and_still_answers(fake, gateway):
    conversation = gateway.payout(payout_request()).provider_reference
    fake.settle_b2c(conversation)
    fake.pending.clear()
    fake.chaos(error_after_next=1, path="/mpesa/transactionstatus/")

    with pytest.raises(GatewayError) as caught:
        gateway.get_payout(provider_reference=conversation, reference="TXN-9")

    assert caught.value.retryable is True
    assert status_result(fake, gateway).kind == EventKind.PAYOUT_SUCCEEDED
    assert json.loads(fake.outbox[-1][1])["Result"]["ResultParameters"]


def test_a_status_result_without_the_payouts_ids_is_matched_by_the_echoed_occasion(fake, gateway):
    """Should Daraja leave ConversationID/OriginatorConversationID out of the ResultParameters,
    the Occasion we sent still names our reference and the payout we stored."""
    conversation = gateway.payout(payout_request()).provider_reference
    fake.settle_b2c(conversation)
    fake.pending.clear()
    gateway.get_payout(provider_reference=conversation, reference="TXN-9")
    (delivery,) = fake.deliver_pending(send=lambda d: None)
    body = json.loads(delivery.body)
    params = body["Result"]["ResultParameters"]["ResultParameter"]
    params[:] = [p for p in params if p["Key"] not in ("ConversationID", "OriginatorConversationID")]

    event = callback(gateway, json.dumps(body).encode())

    assert fake.seen("/mpesa/transactionstatus/")[0].json()["Occasion"] == f"payout:TXN-9 {conversation}"
    assert (event.kind, event.provider_reference, event.reference) == (
        EventKind.PAYOUT_SUCCEEDED,
        conversation,
        "TXN-9",
    )
