"""Stripe end to end over our HTTP API against FakeStripe (a real HTTP server on 127.0.0.1):
deposits confirmed on Stripe's page and by a signed webhook, payouts, cancel, expiry, refunds,
an unreachable Stripe, and hostile webhooks."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from comrade.gateways.fakes.stripe import FakeStripe
from comrade.gateways.services import payments_expire
from comrade.gateways.tests import e2e
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
HUNDRED = Decimal("100.00")


@pytest.fixture(autouse=True)
def fake(settings):
    with e2e.running(FakeStripe(api_key="sk_test_e2e", webhook_secret="whsec_e2e")) as server:
        e2e.use_stripe(settings, server)
        yield server


@pytest.fixture
def staff(client_for, staff_with_otp):
    return client_for(staff_with_otp(), otp=True)


def intent_of(fake: FakeStripe, txn: dict) -> dict:
    return fake.payment_intents[e2e.payment_of(txn).provider_reference]


def deliver(client_for, body_and_headers):
    body, headers = body_and_headers
    return e2e.post_webhook(client_for(), "stripe", body, headers)


def paid_deposit(api, fake, client_for, amount: str = "40.00") -> dict:
    txn = e2e.create(api, provider="stripe", amount=amount).data
    pi_id = e2e.payment_of(txn).provider_reference
    fake.approve(pi_id)
    assert deliver(client_for, fake.payment_webhook(pi_id)).data["verdict"] == "APPLIED"
    return txn


# --- deposits ---------------------------------------------------------------------------------------


def test_deposit_confirmed_on_stripes_page_then_by_webhook(api, user, fake, client_for):
    response = e2e.create(api, provider="stripe", amount="40.00")
    assert response.status_code == 201, response.data
    txn = response.data
    assert txn["status"] == "PENDING" and txn["external_payment_provider"] == "stripe"
    intent = intent_of(fake, txn)
    assert (
        intent["amount"] == 4000 and intent["currency"] == "usd" and intent["metadata"] == {"reference": txn["token"]}
    )
    assert fake.seen("/v1/payment_intents", "POST")[-1].header("Idempotency-Key") == txn["token"]
    assert txn["next_action"]["redirect_url"].startswith(f"{fake.base_url}/confirm/{intent['id']}?client_secret=")
    assert balance_of(user) == HUNDRED

    back = e2e.press_at_provider(txn["next_action"]["redirect_url"])
    page = client_for().get(back)
    assert page.status_code == 200 and b"AUTHORIZED" in page.content
    charge = fake.payment_intents[intent["id"]]["latest_charge"]
    assert e2e.stored(txn).status == "AUTHORIZED" and e2e.stored(txn).authorization_code == charge
    assert balance_of(user) == HUNDRED and e2e.balance("clearing:stripe") == 0

    hook = deliver(client_for, fake.payment_webhook(intent["id"]))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    assert e2e.statuses(txn) == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert balance_of(user) == Decimal("140.00")
    assert e2e.balance("clearing:stripe") == Decimal("-40.00")
    assert e2e.stored(txn).entries.count() == 2
    assert api.get(f"/payments/transactions/{txn['id']}/").data["next_action"] is None
    assert run_all() == []


def test_webhook_alone_completes_a_deposit(api, user, fake, client_for):
    txn = paid_deposit(api, fake, client_for, "12.34")
    assert e2e.stored(txn).status == "COMPLETED"
    assert e2e.stored(txn).authorization_code == intent_of(fake, txn)["latest_charge"]
    assert balance_of(user) == Decimal("112.34")
    assert run_all() == []


def test_retried_create_with_the_same_idempotency_key_opens_one_payment(api, user, fake):
    body = {
        "amount": "40.00",
        "payment_method": "EXTERNAL",
        "transaction_type": "DEPOSIT",
        "external_payment_provider": "stripe",
    }
    first = api.post(e2e.CREATE_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="e2e-key-1")
    again = api.post(e2e.CREATE_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="e2e-key-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.data["token"] == first.data["token"]
    assert len(fake.payment_intents) == 1 and len(fake.seen("/v1/payment_intents", "POST")) == 1
    assert TransactionToken.objects.filter(payment_method="EXTERNAL").count() == 1


def test_a_declined_card_is_not_final_and_a_retry_with_another_card_is_credited(api, user, fake, client_for):
    """payment_intent.payment_failed is one failed attempt: the customer may pay with another card
    on the same PaymentIntent, and that success must be credited (it used to be ignored)."""
    txn = e2e.create(api, provider="stripe", amount="40.00").data
    before = e2e.snapshot()
    pi_id = e2e.payment_of(txn).provider_reference
    fake.decline(pi_id)
    assert b"PENDING" in e2e.customer_returns(client_for(), "stripe", txn).content
    hook = deliver(client_for, fake.payment_webhook(pi_id))
    assert hook.status_code == 200 and hook.data["verdict"] == "NOTED"
    stored = e2e.stored(txn)
    assert stored.status == "PENDING" and stored.failure_code == "generic_decline" and not stored.entries.exists()
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]
    fake.approve(pi_id)
    assert deliver(client_for, fake.payment_webhook(pi_id)).data["verdict"] == "APPLIED"
    completed = e2e.stored(txn)
    assert completed.status == "COMPLETED" and completed.failure_code == "" and balance_of(user) == Decimal("140.00")
    assert run_all() == []


def test_amount_below_stripes_minimum_is_refused(api, user, fake):
    before = e2e.snapshot()
    response = e2e.create(api, provider="stripe", amount="0.49")
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    assert "amount_too_small" in response.data["message"]
    assert e2e.stored(response.data["transaction"]).status == "FAILED"
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


# --- an unreachable Stripe ------------------------------------------------------------------------


def test_hang_on_create_leaves_the_deposit_pending_and_its_webhook_still_settles_it(
    api, user, fake, client_for, settings
):
    settings.PROVIDER_TIMEOUT_SECONDS = 1
    before = e2e.snapshot()
    fake.hang_next(1.5, path="/v1/payment_intents")
    response = e2e.create(api, provider="stripe", amount="25.00")
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    txn = response.data["transaction"]
    stored = e2e.stored(txn)
    assert stored.status == "PENDING" and "stripe unavailable" in stored.failure_reason
    assert e2e.payment_of(txn).provider_reference == "" and not stored.entries.exists()
    assert e2e.snapshot()["balances"] == before["balances"]

    assert e2e.wait_for(lambda: fake.payment_intents)  # Stripe created it after all, once the stall was over
    [intent] = [i for i in fake.payment_intents.values() if i["metadata"] == {"reference": txn["token"]}]
    fake.approve(intent["id"])
    assert deliver(client_for, fake.payment_webhook(intent["id"])).data["verdict"] == "APPLIED"
    assert e2e.stored(txn).status == "COMPLETED" and balance_of(user) == Decimal("125.00")
    assert run_all() == []


def test_5xx_on_create_leaves_the_deposit_pending_until_it_expires(api, user, fake):
    before = e2e.snapshot()
    fake.fail_next(500, path="/v1/payment_intents")
    response = e2e.create(api, provider="stripe", amount="25.00")
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    stored = e2e.stored(response.data["transaction"])
    assert stored.status == "PENDING" and "500" in stored.failure_reason
    assert len(fake.seen("/v1/payment_intents", "POST")) == 1  # never retried blindly
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]
    ttl = timedelta(minutes=django_settings.EXTERNAL_PAYMENT_TTL_MINUTES + 1)
    assert payments_expire(timezone.now() + ttl) == 1
    assert e2e.stored(response.data["transaction"]).status == "FAILED"


# --- cancel and expiry ------------------------------------------------------------------------------


def test_owner_cancels_a_pending_deposit_also_at_stripe(api, user, fake, client_for, make_user):
    stranger = client_for(make_user())
    txn = e2e.create(api, provider="stripe", amount="40.00").data
    before = e2e.snapshot()
    url = f"/payments/transactions/{txn['id']}/cancel/"
    assert stranger.post(url).status_code == 404
    assert e2e.stored(txn).status == "PENDING"
    response = api.post(url)
    assert response.status_code == 200 and response.data["status"] == "CANCELLED"
    assert api.post(url).data["code"] == "not_cancellable"
    pi_id = e2e.payment_of(txn).provider_reference
    assert fake.payment_intents[pi_id]["status"] == "canceled"
    assert e2e.payment_of(txn).resolved_at is not None
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


def test_unconfirmed_deposit_expires_and_a_late_payment_lands_in_the_wallet(api, user, fake, client_for):
    txn = e2e.create(api, provider="stripe", amount="40.00").data
    before = e2e.snapshot()
    ttl = timedelta(minutes=django_settings.EXTERNAL_PAYMENT_TTL_MINUTES)
    assert payments_expire(timezone.now() + ttl - timedelta(minutes=1)) == 0
    assert payments_expire(timezone.now() + ttl + timedelta(minutes=1)) == 1
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "expired" in stored.failure_reason
    pi_id = e2e.payment_of(txn).provider_reference
    fake.approve(pi_id)
    assert deliver(client_for, fake.payment_webhook(pi_id)).data["verdict"] == "APPLIED"
    credit = TransactionToken.objects.get(related_transaction__token=txn["token"])
    assert credit.metadata["credited_because"] == "late_payment" and credit.amount == Decimal("40.00")
    assert e2e.stored(txn).status == "FAILED" and balance_of(user) == Decimal("140.00")
    assert deliver(client_for, fake.payment_webhook(pi_id)).data["verdict"] in ("IGNORED", "DUPLICATE")
    assert balance_of(user) == Decimal("140.00") and run_all() == []
    assert e2e.snapshot()["entries"] == before["entries"] + 2


# --- withdrawals ------------------------------------------------------------------------------------


def withdraw(api, amount: str = "30.00", destination: str | None = "ba_e2e"):
    metadata = {"destination": destination} if destination else {}
    return e2e.create(api, provider="stripe", amount=amount, transaction_type="WITHDRAWAL", metadata=metadata)


def test_withdrawal_holds_the_money_then_the_paid_webhook_completes_it(api, user, fake, client_for):
    response = withdraw(api)
    assert response.status_code == 201, response.data
    txn = response.data
    assert txn["status"] == "AUTHORIZED"
    payout = fake.payouts[e2e.payment_of(txn).provider_reference]
    assert payout["amount"] == 3000 and payout["destination"] == "ba_e2e"
    assert payout["metadata"] == {"reference": txn["token"]}
    assert balance_of(user) == Decimal("70.00") and e2e.balance("holding") == Decimal("30.00")

    fake.settle_payout(payout["id"], paid=True)
    hook = deliver(client_for, fake.payout_webhook(payout["id"]))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    assert e2e.statuses(txn) == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert balance_of(user) == Decimal("70.00") and e2e.balance("holding") == 0
    assert e2e.balance("clearing:stripe") == Decimal("30.00")
    assert run_all() == []


def test_failed_payout_webhook_gives_the_money_back_exactly(api, user, fake, client_for):
    txn = withdraw(api, "30.01").data
    payout_id = e2e.payment_of(txn).provider_reference
    fake.settle_payout(payout_id, paid=False)
    hook = deliver(client_for, fake.payout_webhook(payout_id))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "bank account has been closed" in stored.failure_reason
    assert balance_of(user) == HUNDRED and e2e.balance("holding") == 0
    assert e2e.balance("clearing:stripe") == 0
    assert run_all() == []


@pytest.mark.parametrize("destination,payout_balance", [("xx_not_a_bank", None), ("ba_e2e", 1000)])
def test_payout_stripe_refuses_fails_and_releases_the_hold(api, user, fake, destination, payout_balance):
    fake.payout_balance = payout_balance
    response = withdraw(api, destination=destination)
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    stored = e2e.stored(response.data["transaction"])
    assert stored.status == "FAILED" and "refused" in stored.failure_reason
    assert balance_of(user) == HUNDRED and e2e.balance("holding") == 0
    assert e2e.balance("clearing:stripe") == 0 and fake.payouts == {}
    assert run_all() == []


def test_withdrawal_to_the_saved_bank_account(api, user, fake):
    saved = api.post("/payments/payment-profiles/payment_methods/", {"provider": "stripe", "token": "ba_saved"})
    assert saved.status_code == 201, saved.data
    txn = withdraw(api, "10.00", destination=None).data
    assert txn["status"] == "AUTHORIZED"
    assert fake.payouts[e2e.payment_of(txn).provider_reference]["destination"] == "ba_saved"
    assert balance_of(user) == Decimal("90.00")


# --- refunds ----------------------------------------------------------------------------------------


def test_staff_refund_in_part_then_in_full(api, user, fake, client_for, staff):
    txn = paid_deposit(api, fake, client_for, "40.00")
    assert e2e.refund(api, txn, "5.00").status_code == 403
    part = e2e.refund(staff, txn, "15.00")
    assert part.status_code == 201, part.data
    assert part.data["status"] == "COMPLETED" and part.data["transaction_type"] == "REFUND"
    assert part.data["related_transaction"] == txn["id"]
    assert balance_of(user) == Decimal("125.00") and intent_of(fake, txn)["amount_refunded"] == 1500
    rest = e2e.refund(staff, txn)
    assert rest.status_code == 201 and rest.data["amount"] == "25.00"
    assert balance_of(user) == HUNDRED and intent_of(fake, txn)["amount_refunded"] == 4000
    assert e2e.balance("clearing:stripe") == 0 and e2e.balance("holding") == 0

    before = e2e.snapshot()
    more = e2e.refund(staff, txn, "0.01")
    assert more.status_code == 400 and more.data["code"] == "refund_too_large"
    late = deliver(client_for, fake.refund_webhook(e2e.payment_of(rest.data).provider_reference))
    assert late.status_code == 200 and late.data["verdict"] == "IGNORED"
    assert e2e.snapshot() == before
    assert run_all() == []


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_pending_refund_is_settled_by_its_webhook(api, user, fake, client_for, staff, outcome):
    txn = paid_deposit(api, fake, client_for, "40.00")
    fake.refund_status = "pending"
    response = e2e.refund(staff, txn, "10.00")
    assert response.status_code == 201 and response.data["status"] == "AUTHORIZED"
    assert balance_of(user) == Decimal("130.00") and e2e.balance("holding") == Decimal("10.00")
    re_id = e2e.payment_of(response.data).provider_reference
    fake.refunds[re_id]["status"] = outcome
    hook = deliver(client_for, fake.refund_webhook(re_id))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    expected = {"succeeded": ("COMPLETED", "130.00"), "failed": ("FAILED", "140.00")}[outcome]
    assert e2e.stored(response.data).status == expected[0]
    assert balance_of(user) == Decimal(expected[1]) and e2e.balance("holding") == 0
    assert run_all() == []


# --- hostile webhooks -------------------------------------------------------------------------------


@pytest.fixture
def pending(api, user, fake) -> dict:
    txn = e2e.create(api, provider="stripe", amount="40.00").data
    fake.approve(e2e.payment_of(txn).provider_reference)
    return txn


def test_forged_signature_is_rejected(pending, fake, client_for):
    before = e2e.snapshot()
    pi_id = e2e.payment_of(pending).provider_reference
    response = deliver(client_for, fake.payment_webhook(pi_id, secret="whsec_attacker"))
    assert response.status_code == 400 and response.data["verdict"] == "REJECTED"
    tampered_body, headers = fake.payment_webhook(pi_id)
    tampered = e2e.post_webhook(client_for(), "stripe", tampered_body.replace(b"4000", b"9000"), headers)
    assert tampered.status_code == 400
    stale = deliver(client_for, fake.payment_webhook(pi_id, timestamp=int(time.time()) - 3600))
    assert stale.status_code == 400
    assert e2e.snapshot() == before and e2e.verdicts("stripe") == ["REJECTED"] * 3


def test_replayed_event_is_applied_once(pending, user, fake, client_for):
    delivery = fake.payment_webhook(e2e.payment_of(pending).provider_reference)
    first, replay = deliver(client_for, delivery), deliver(client_for, delivery)
    assert first.data["verdict"] == "APPLIED" and replay.status_code == 200 and replay.data["verdict"] == "DUPLICATE"
    assert balance_of(user) == Decimal("140.00") and e2e.stored(pending).entries.count() == 2
    late_failure = deliver(client_for, fake.signed_webhook("payment_intent.payment_failed", intent_of(fake, pending)))
    assert late_failure.status_code == 200 and late_failure.data["verdict"] == "IGNORED"
    assert e2e.stored(pending).status == "COMPLETED" and balance_of(user) == Decimal("140.00")
    assert run_all() == []


@pytest.mark.parametrize("change", [{"amount_received": 400000}, {"currency": "eur"}])
def test_signed_event_with_another_amount_or_currency_moves_nothing(pending, user, fake, client_for, change):
    before = e2e.snapshot()
    intent = {**intent_of(fake, pending), **change}
    response = deliver(client_for, fake.signed_webhook("payment_intent.succeeded", intent))
    assert response.status_code == 200 and response.data["verdict"] == "REVIEW"
    assert "expected 40.00 USD" in response.data["reason"] and e2e.stored(pending).status == "PENDING"
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]
