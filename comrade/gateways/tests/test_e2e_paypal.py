"""PayPal end to end over our HTTP API against FakePayPal (a real HTTP server on 127.0.0.1): the
buyer approves on PayPal's page and returns to us (we capture), then PayPal's webhook, verified by
PayPal's verify-webhook-signature call, completes the deposit; payouts, cancel, expiry, refunds,
an unreachable PayPal, and hostile webhooks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from comrade.gateways.fakes.paypal import FakePayPal
from comrade.gateways.services import payments_expire
from comrade.gateways.tests import e2e
from comrade.ledger.checks import run_all
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
HUNDRED = Decimal("100.00")


@pytest.fixture(autouse=True)
def fake(settings):
    with e2e.running(FakePayPal(client_id="pp-e2e", client_secret="pp-e2e-secret", webhook_id="WH-E2E")) as server:
        e2e.use_paypal(settings, server)
        yield server


@pytest.fixture
def staff(client_for, staff_with_otp):
    return client_for(staff_with_otp(), otp=True)


def order_id(txn: dict) -> str:
    return e2e.payment_of(txn).provider_reference


def deliver(client_for, body_and_headers):
    body, headers = body_and_headers
    return e2e.post_webhook(client_for(), "paypal", body, headers)


def approved_and_captured(api, fake, client_for, amount: str = "40.00") -> dict:
    txn = e2e.create(api, provider="paypal", amount=amount).data
    fake.approve(order_id(txn))
    assert e2e.customer_returns(client_for(), "paypal", txn).status_code == 200
    assert e2e.stored(txn).status == "AUTHORIZED"
    return txn


def paid_deposit(api, fake, client_for, amount: str = "40.00") -> dict:
    txn = approved_and_captured(api, fake, client_for, amount)
    assert deliver(client_for, fake.capture_webhook(order_id(txn))).data["verdict"] == "APPLIED"
    return txn


# --- deposits ---------------------------------------------------------------------------------------


def test_deposit_approved_at_paypal_captured_on_return_completed_by_webhook(api, user, fake, client_for):
    response = e2e.create(api, provider="paypal", amount="40.00")
    assert response.status_code == 201, response.data
    txn = response.data
    order = fake.orders[order_id(txn)]
    unit = order["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "USD", "value": "40.00"} and unit["custom_id"] == txn["token"]
    assert order["experience_context"]["return_url"].endswith(
        f"/payments/gateways/paypal/return/?reference={txn['token']}"
    )
    assert (
        txn["status"] == "PENDING"
        and txn["next_action"]["redirect_url"] == f"{fake.base_url}/checkoutnow?token={order['id']}"
    )

    back = e2e.press_at_provider(txn["next_action"]["redirect_url"])
    assert back.startswith(f"/payments/gateways/paypal/return/?reference={txn['token']}")
    page = client_for().get(back)
    assert page.status_code == 200 and b"AUTHORIZED" in page.content
    capture = fake.orders[order["id"]]["purchase_units"][0]["payments"]["captures"][0]
    assert e2e.stored(txn).status == "AUTHORIZED" and e2e.stored(txn).authorization_code == capture["id"]
    assert balance_of(user) == HUNDRED
    assert len(fake.seen(f"/v2/checkout/orders/{order['id']}/capture", "POST")) == 1
    assert client_for().get(back).status_code == 200  # a second visit captures nothing more
    assert len(fake.seen(f"/v2/checkout/orders/{order['id']}/capture", "POST")) == 1

    hook = deliver(client_for, fake.capture_webhook(order["id"]))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    assert len(fake.seen("/v1/notifications/verify-webhook-signature", "POST")) == 1
    assert e2e.statuses(txn) == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert balance_of(user) == Decimal("140.00") and e2e.balance("clearing:paypal") == Decimal("-40.00")
    assert run_all() == []


def test_declined_instrument_at_capture_fails_the_deposit(api, user, fake, client_for):
    txn = e2e.create(api, provider="paypal", amount="40.00").data
    before = e2e.snapshot()
    fake.approve(order_id(txn))
    fake.capture_outcome = "INSTRUMENT_DECLINED"
    page = e2e.customer_returns(client_for(), "paypal", txn)
    assert page.status_code == 200 and b"FAILED" in page.content
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "DECLINED" in stored.failure_reason and stored.failure_code
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


def test_return_while_paypal_is_down_keeps_the_deposit_pending_then_captures(api, user, fake, client_for):
    txn = e2e.create(api, provider="paypal", amount="40.00").data
    fake.approve(order_id(txn))
    fake.fail_next(503, path="/v2/checkout/orders/")
    assert b"PENDING" in e2e.customer_returns(client_for(), "paypal", txn).content
    assert e2e.stored(txn).status == "PENDING" and balance_of(user) == HUNDRED
    assert b"AUTHORIZED" in e2e.customer_returns(client_for(), "paypal", txn).content


def test_buyer_cancels_at_paypal_then_the_owner_cancels_here(api, user, fake, client_for, make_user):
    stranger = client_for(make_user())
    txn = e2e.create(api, provider="paypal", amount="40.00").data
    before = e2e.snapshot()
    back = e2e.press_at_provider(txn["next_action"]["redirect_url"], decision="cancel")
    assert b"PENDING" in client_for().get(back).content
    url = f"/payments/transactions/{txn['id']}/cancel/"
    assert stranger.post(url).status_code == 404
    response = api.post(url)
    assert response.status_code == 200 and response.data["status"] == "CANCELLED"
    assert e2e.customer_returns(client_for(), "paypal", txn).status_code == 200
    assert e2e.stored(txn).status == "CANCELLED" and fake.seen("/v2/checkout/orders/", "POST") == []
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


def test_unconfirmed_deposit_expires(api, user, fake):
    txn = e2e.create(api, provider="paypal", amount="40.00").data
    before = e2e.snapshot()
    ttl = timedelta(minutes=django_settings.EXTERNAL_PAYMENT_TTL_MINUTES)
    assert payments_expire(timezone.now() + ttl - timedelta(minutes=1)) == 0
    assert payments_expire(timezone.now() + ttl + timedelta(minutes=1)) == 1
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "expired" in stored.failure_reason
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


@pytest.mark.parametrize("trouble", ["hang", "5xx"])
def test_unreachable_paypal_on_create_leaves_the_deposit_pending(api, user, fake, settings, trouble):
    settings.PROVIDER_TIMEOUT_SECONDS = 1
    before = e2e.snapshot()
    if trouble == "hang":
        fake.hang_next(1.5, path="/v2/checkout/orders")
    else:
        fake.fail_next(500, path="/v2/checkout/orders")
    response = e2e.create(api, provider="paypal", amount="40.00")
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    stored = e2e.stored(response.data["transaction"])
    assert stored.status == "PENDING" and ("timed out" if trouble == "hang" else "500") in stored.failure_reason
    assert e2e.payment_of(response.data["transaction"]).provider_reference == ""
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


# --- withdrawals ------------------------------------------------------------------------------------


def withdraw(api, amount: str = "30.00", destination: str = "payee@example.com"):
    return e2e.create(
        api, provider="paypal", amount=amount, transaction_type="WITHDRAWAL", metadata={"destination": destination}
    )


def test_withdrawal_holds_the_money_then_the_payout_webhook_completes_it(api, user, fake, client_for):
    response = withdraw(api)
    assert response.status_code == 201, response.data
    txn = response.data
    assert txn["status"] == "AUTHORIZED"
    batch = fake.payouts[e2e.payment_of(txn).provider_reference]
    assert batch["sender_batch_header"]["sender_batch_id"] == txn["token"]
    assert batch["items"][0]["receiver"] == "payee@example.com" and batch["items"][0]["recipient_type"] == "EMAIL"
    assert batch["items"][0]["amount"] == {"value": "30.00", "currency": "USD"}
    assert balance_of(user) == Decimal("70.00") and e2e.balance("holding") == Decimal("30.00")

    hook = deliver(client_for, fake.payout_webhook(batch["payout_batch_id"], succeeded=True))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    assert e2e.statuses(txn) == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert balance_of(user) == Decimal("70.00") and e2e.balance("holding") == 0
    assert e2e.balance("clearing:paypal") == Decimal("30.00")
    assert run_all() == []


def test_failed_payout_webhook_gives_the_money_back_exactly(api, user, fake, client_for):
    txn = withdraw(api, "30.01").data
    hook = deliver(client_for, fake.payout_webhook(e2e.payment_of(txn).provider_reference, succeeded=False))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "locked" in stored.failure_reason
    assert balance_of(user) == HUNDRED and e2e.balance("holding") == 0 and e2e.balance("clearing:paypal") == 0
    assert run_all() == []


def test_payout_paypal_refuses_fails_and_releases_the_hold(api, user, fake):
    fake.fail_next(422, path="/v1/payments/payouts")
    response = withdraw(api)
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    stored = e2e.stored(response.data["transaction"])
    assert stored.status == "FAILED" and "refused" in stored.failure_reason
    assert balance_of(user) == HUNDRED and e2e.balance("holding") == 0 and e2e.balance("clearing:paypal") == 0
    assert run_all() == []


def test_payout_lost_in_a_hang_stays_held_until_its_webhook(api, user, fake, client_for, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 1
    fake.hang_next(1.5, path="/v1/payments/payouts")
    response = withdraw(api)
    # Answered with the held transaction (its status code is comrade.ledger.responses' choice).
    txn = e2e.stored(response.data.get("transaction", response.data))
    assert txn.status == "AUTHORIZED" and "awaiting confirmation" in txn.failure_reason
    assert balance_of(user) == Decimal("70.00") and e2e.balance("holding") == Decimal("30.00")
    assert e2e.wait_for(lambda: fake.payouts)  # PayPal made the payout once the stall was over
    [batch_id] = fake.payouts
    hook = deliver(client_for, fake.payout_webhook(batch_id, succeeded=True))
    assert hook.data["verdict"] == "APPLIED"
    txn.refresh_from_db()
    assert txn.status == "COMPLETED" and e2e.balance("holding") == 0 and balance_of(user) == Decimal("70.00")
    assert run_all() == []


# --- refunds ----------------------------------------------------------------------------------------


def test_staff_refund_in_part_then_in_full(api, user, fake, client_for, staff):
    txn = paid_deposit(api, fake, client_for, "40.00")
    capture = fake.orders[order_id(txn)]["purchase_units"][0]["payments"]["captures"][0]
    assert e2e.refund(api, txn, "5.00").status_code == 403
    part = e2e.refund(staff, txn, "15.00")
    assert part.status_code == 201, part.data
    assert part.data["status"] == "COMPLETED" and part.data["related_transaction"] == txn["id"]
    assert balance_of(user) == Decimal("125.00") and fake.captures[capture["id"]]["refunded"] == "15.00"
    rest = e2e.refund(staff, txn)
    assert rest.status_code == 201 and rest.data["amount"] == "25.00"
    assert balance_of(user) == HUNDRED and Decimal(fake.captures[capture["id"]]["refunded"]) == Decimal("40.00")
    assert e2e.balance("clearing:paypal") == 0 and e2e.balance("holding") == 0

    before = e2e.snapshot()
    more = e2e.refund(staff, txn, "0.01")
    assert more.status_code == 400 and more.data["code"] == "refund_too_large"
    refund = fake.refunds[e2e.payment_of(rest.data).provider_reference]
    late = deliver(client_for, fake.signed_webhook("PAYMENT.CAPTURE.REFUNDED", dict(refund)))
    assert late.status_code == 200 and late.data["verdict"] == "IGNORED"
    assert e2e.snapshot() == before
    assert run_all() == []


def test_refund_paypal_refuses_releases_the_hold(api, user, fake, client_for, staff):
    txn = paid_deposit(api, fake, client_for, "40.00")
    before = e2e.snapshot()["balances"]
    fake.fail_next(422, path="/v2/payments/captures/")
    response = e2e.refund(staff, txn, "10.00")
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    assert e2e.stored(response.data["transaction"]).status == "FAILED"
    assert e2e.snapshot()["balances"] == before and balance_of(user) == Decimal("140.00")
    assert run_all() == []


# --- hostile webhooks -------------------------------------------------------------------------------


@pytest.fixture
def captured(api, user, fake, client_for) -> dict:
    return approved_and_captured(api, fake, client_for)


def test_forged_or_tampered_webhooks_are_rejected(captured, fake, client_for):
    before = e2e.snapshot()
    oid = order_id(captured)
    capture = dict(fake.orders[oid]["purchase_units"][0]["payments"]["captures"][0])
    with FakePayPal(webhook_id="WH-E2E") as impostor:
        forged = deliver(client_for, impostor.signed_webhook("PAYMENT.CAPTURE.COMPLETED", capture))
    assert forged.status_code == 400 and forged.data["verdict"] == "REJECTED"
    other_hook = deliver(client_for, fake.signed_webhook("PAYMENT.CAPTURE.COMPLETED", capture, webhook_id="WH-X"))
    assert other_hook.status_code == 400
    body, headers = fake.capture_webhook(oid)
    tampered = e2e.post_webhook(client_for(), "paypal", body.replace(b"40.00", b"400.00"), headers)
    assert tampered.status_code == 400
    evil_cert = e2e.post_webhook(client_for(), "paypal", body, {**headers, "PAYPAL-CERT-URL": "https://evil.test/c"})
    assert evil_cert.status_code == 400
    assert e2e.snapshot() == before and e2e.verdicts("paypal") == ["REJECTED"] * 4
    assert e2e.stored(captured).status == "AUTHORIZED"


def test_replayed_event_is_applied_once(captured, user, fake, client_for):
    delivery = fake.capture_webhook(order_id(captured))
    first, replay = deliver(client_for, delivery), deliver(client_for, delivery)
    assert first.data["verdict"] == "APPLIED" and replay.status_code == 200 and replay.data["verdict"] == "DUPLICATE"
    assert balance_of(user) == Decimal("140.00") and e2e.stored(captured).entries.count() == 2
    assert run_all() == []


def test_genuinely_signed_event_with_another_amount_moves_nothing(captured, user, fake, client_for):
    before = e2e.snapshot()
    capture = dict(fake.orders[order_id(captured)]["purchase_units"][0]["payments"]["captures"][0])
    capture["amount"] = {"currency_code": "USD", "value": "400.00"}
    response = deliver(client_for, fake.signed_webhook("PAYMENT.CAPTURE.COMPLETED", capture))
    assert response.status_code == 503 and response.data["verdict"] == "REJECTED"
    assert e2e.snapshot() == before and balance_of(user) == HUNDRED
    assert deliver(client_for, fake.capture_webhook(order_id(captured))).data["verdict"] == "APPLIED"
    assert balance_of(user) == Decimal("140.00")
