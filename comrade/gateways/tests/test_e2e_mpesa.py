"""M-Pesa end to end over our HTTP API against FakeDaraja (a real HTTP server on 127.0.0.1), on a
KES deployment: STK push deposits credited only after Daraja's STK query confirms the callback,
B2C withdrawals settled by their Result, cancel, expiry, refunds (unsupported), an unreachable
Daraja, and hostile callbacks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from comrade.gateways.fakes.daraja import FakeDaraja
from comrade.gateways.services import payments_expire
from comrade.gateways.tests import e2e
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
THOUSAND = Decimal("1000.00")
PHONE = "0712 345 678"
MSISDN = "254712345678"


@pytest.fixture(autouse=True)
def fake(settings):
    with e2e.running(
        FakeDaraja(passkey="e2e-passkey", initiator_name="e2e-api", security_credential="e2e-cred")
    ) as srv:
        e2e.use_mpesa(settings, srv)
        yield srv


@pytest.fixture
def user(fake, make_user):
    """Made after the deployment switched to KES, with 1000 KES in the wallet."""
    return make_user(balance="1000")


@pytest.fixture
def staff(client_for, staff_with_otp):
    return client_for(staff_with_otp(), otp=True)


def checkout_id(txn: dict) -> str:
    return e2e.payment_of(txn).provider_reference


def callback(client_for, body: bytes, secret: str = e2e.MPESA_SECRET):
    return e2e.post_webhook(client_for(), "mpesa", body, path_secret=secret)


def deposit(api, amount: str = "100", phone: str | None = PHONE):
    return e2e.create(api, provider="mpesa", amount=amount, metadata={"phone_number": phone} if phone else {})


def paid_deposit(api, fake, client_for, amount: str = "100") -> dict:
    txn = deposit(api, amount).data
    fake.approve(checkout_id(txn))
    assert callback(client_for, fake.stk_callback(checkout_id(txn))).data["verdict"] == "APPLIED"
    return txn


# --- deposits ---------------------------------------------------------------------------------------


def test_stk_deposit_credited_after_daraja_confirms_the_callback(api, user, fake, client_for, settings):
    response = deposit(api, "100")
    assert response.status_code == 201, response.data
    txn = response.data
    assert txn["status"] == "PENDING" and txn["currency"] == "KES"
    assert txn["next_action"]["type"] == "confirm_on_device"
    push = fake.stk[checkout_id(txn)]["request"]
    assert push["Amount"] == 100 and push["PhoneNumber"] == MSISDN and push["PartyB"] == fake.shortcode
    assert push["CallBackURL"] == f"{settings.SITE_URL}/payments/webhooks/mpesa/{e2e.MPESA_SECRET}/"
    assert push["AccountReference"] == txn["token"][:12]
    assert balance_of(user) == THOUSAND

    receipt = fake.approve(checkout_id(txn))
    hook = callback(client_for, fake.stk_callback(checkout_id(txn)))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    assert len(fake.seen("/mpesa/stkpushquery/v1/query", "POST")) == 1  # confirmed with Daraja first
    stored = e2e.stored(txn)
    assert stored.status == "COMPLETED" and stored.authorization_code == receipt
    assert e2e.statuses(txn) == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert balance_of(user) == Decimal("1100.00") and e2e.balance("clearing:mpesa") == Decimal("-100.00")
    assert run_all() == []


def test_deposit_pushes_to_the_saved_phone_number(api, user, fake):
    saved = api.post("/payments/payment-profiles/payment_methods/", {"provider": "mpesa", "token": "254711000111"})
    assert saved.status_code == 201, saved.data
    txn = deposit(api, "50", phone=None).data
    assert fake.stk[checkout_id(txn)]["request"]["PhoneNumber"] == "254711000111"


@pytest.mark.parametrize("transaction_type", ["DEPOSIT", "WITHDRAWAL"])
def test_shillings_with_cents_are_refused_before_anything_is_written(api, user, fake, transaction_type):
    before = e2e.snapshot()
    response = e2e.create(
        api,
        provider="mpesa",
        amount="100.50",
        transaction_type=transaction_type,
        metadata={"phone_number": PHONE, "destination": MSISDN},
    )
    assert response.status_code == 400 and response.data["code"] == "invalid_amount"
    assert "whole number of shillings" in response.data["fields"]["amount"][0]
    assert e2e.snapshot() == before and fake.seen("/mpesa/") == []
    assert not TransactionToken.objects.filter(payment_method="EXTERNAL").exists()


def test_mpesa_is_off_outside_a_kes_deployment(api, user, settings):
    settings.DEFAULT_CURRENCY = "USD"
    response = deposit(api)
    assert response.status_code == 400 and response.data["code"] == "unknown_provider"
    assert not TransactionToken.objects.filter(payment_method="EXTERNAL").exists()


def test_callback_before_daraja_knows_is_retried_then_applied(api, user, fake, client_for):
    txn = deposit(api).data
    early = fake.stk_callback(checkout_id(txn), result_code=0)
    first = callback(client_for, early)
    assert first.status_code == 503 and balance_of(user) == THOUSAND
    assert e2e.stored(txn).status == "PENDING"
    fake.approve(checkout_id(txn))
    retry = callback(client_for, early)
    assert retry.status_code == 200 and retry.data["verdict"] == "APPLIED"
    assert balance_of(user) == Decimal("1100.00")
    assert run_all() == []


def test_customer_declines_on_the_phone(api, user, fake, client_for):
    txn = deposit(api).data
    before = e2e.snapshot()
    fake.decline(checkout_id(txn), result_code=1032)
    hook = callback(client_for, fake.stk_callback(checkout_id(txn)))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "cancelled by user" in stored.failure_reason
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


@pytest.mark.parametrize("trouble", ["hang", "5xx"])
def test_unreachable_daraja_on_create_leaves_the_deposit_pending(api, user, fake, settings, trouble):
    settings.PROVIDER_TIMEOUT_SECONDS = 1
    before = e2e.snapshot()
    if trouble == "hang":
        fake.hang_next(1.5, path="/mpesa/stkpush/")
    else:
        fake.fail_next(500, path="/mpesa/stkpush/")
    response = deposit(api)
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    stored = e2e.stored(response.data["transaction"])
    assert stored.status == "PENDING" and ("timed out" if trouble == "hang" else "500") in stored.failure_reason
    assert len(fake.seen("/mpesa/stkpush/", "POST")) == 1  # Daraja has no idempotency key: never re-pushed
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


# --- cancel and expiry ------------------------------------------------------------------------------


def test_owner_cancels_a_pending_deposit_and_a_late_payment_lands_in_the_wallet(api, user, fake, client_for, make_user):
    stranger = client_for(make_user())
    txn = deposit(api).data
    before = e2e.snapshot()
    url = f"/payments/transactions/{txn['id']}/cancel/"
    assert stranger.post(url).status_code == 404
    response = api.post(url)
    assert response.status_code == 200 and response.data["status"] == "CANCELLED"
    fake.approve(checkout_id(txn))
    late = callback(client_for, fake.stk_callback(checkout_id(txn)))
    assert late.status_code == 200 and late.data["verdict"] == "APPLIED"
    assert e2e.stored(txn).status == "CANCELLED"
    credit = TransactionToken.objects.get(related_transaction__token=txn["token"])
    assert credit.status == "COMPLETED" and credit.metadata["credited_because"] == "late_payment"
    assert balance_of(user) == before["balances"][f"wallet:{user.pk}"] + Decimal(txn["amount"])
    assert run_all() == []


def test_unconfirmed_deposit_expires(api, user, fake):
    txn = deposit(api).data
    before = e2e.snapshot()
    ttl = timedelta(minutes=django_settings.EXTERNAL_PAYMENT_TTL_MINUTES)
    assert payments_expire(timezone.now() + ttl - timedelta(minutes=1)) == 0
    assert payments_expire(timezone.now() + ttl + timedelta(minutes=1)) == 1
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "expired" in stored.failure_reason
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


# --- withdrawals (B2C) ------------------------------------------------------------------------------


def withdraw(api, amount: str = "300", destination: str = PHONE):
    return e2e.create(
        api, provider="mpesa", amount=amount, transaction_type="WITHDRAWAL", metadata={"destination": destination}
    )


def test_b2c_withdrawal_holds_then_its_result_completes_it(api, user, fake, client_for, settings):
    response = withdraw(api)
    assert response.status_code == 201, response.data
    txn = response.data
    assert txn["status"] == "AUTHORIZED"
    payout = fake.b2c[e2e.payment_of(txn).provider_reference]["request"]
    assert payout["Amount"] == 300 and payout["PartyB"] == MSISDN and payout["InitiatorName"] == "e2e-api"
    assert payout["ResultURL"] == f"{settings.SITE_URL}/payments/webhooks/mpesa/{e2e.MPESA_SECRET}/"
    assert balance_of(user) == Decimal("700.00") and e2e.balance("holding") == Decimal("300.00")

    hook = callback(client_for, fake.b2c_result(e2e.payment_of(txn).provider_reference))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    assert e2e.statuses(txn) == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert balance_of(user) == Decimal("700.00") and e2e.balance("holding") == 0
    assert e2e.balance("clearing:mpesa") == Decimal("300.00")
    assert run_all() == []


def test_failed_b2c_result_gives_the_money_back_exactly(api, user, fake, client_for):
    txn = withdraw(api, "301").data
    hook = callback(client_for, fake.b2c_result(e2e.payment_of(txn).provider_reference, result_code=1))
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED"
    stored = e2e.stored(txn)
    assert stored.status == "FAILED" and "balance is insufficient" in stored.failure_reason
    assert balance_of(user) == THOUSAND and e2e.balance("holding") == 0 and e2e.balance("clearing:mpesa") == 0
    assert run_all() == []


def test_b2c_daraja_refuses_fails_and_releases_the_hold(api, user, fake):
    fake.fail_next(400, path="/mpesa/b2c/")
    response = withdraw(api)
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    stored = e2e.stored(response.data["transaction"])
    assert stored.status == "FAILED" and "refused" in stored.failure_reason
    assert balance_of(user) == THOUSAND and e2e.balance("holding") == 0 and fake.b2c == {}
    assert run_all() == []


def test_b2c_result_with_another_amount_is_flagged_and_the_money_stays_held(api, user, fake, client_for):
    txn = withdraw(api).data
    conversation = e2e.payment_of(txn).provider_reference
    fake.b2c[conversation]["request"]["Amount"] = 30
    before = e2e.snapshot()
    hook = callback(client_for, fake.b2c_result(conversation))
    assert hook.status_code == 200 and hook.data["verdict"] == "REVIEW"
    assert e2e.snapshot() == before and e2e.stored(txn).status == "AUTHORIZED"


# --- refunds ----------------------------------------------------------------------------------------


def test_refunds_are_unsupported_and_change_nothing(api, user, fake, client_for, staff):
    txn = paid_deposit(api, fake, client_for)
    before = e2e.snapshot()
    response = e2e.refund(staff, txn, "50")
    assert response.status_code == 400 and response.data["code"] == "refund_unsupported"
    assert "withdrawal" in response.data["message"]
    assert e2e.refund(staff, txn).data["code"] == "refund_unsupported"
    assert e2e.snapshot() == before and balance_of(user) == Decimal("1100.00")
    assert not TransactionToken.objects.filter(transaction_type="REFUND").exists()


# --- hostile callbacks ------------------------------------------------------------------------------


@pytest.fixture
def pending(api, user, fake) -> dict:
    return deposit(api).data


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_callback_without_the_path_secret_is_rejected(pending, fake, client_for, secret):
    fake.approve(checkout_id(pending))
    before = e2e.snapshot()
    response = callback(client_for, fake.stk_callback(checkout_id(pending)), secret=secret)
    assert response.status_code == 400 and response.data["verdict"] == "REJECTED"
    assert e2e.snapshot() == before and e2e.stored(pending).status == "PENDING"
    assert fake.seen("/mpesa/stkpushquery/") == []


def test_forged_success_that_daraja_contradicts_moves_nothing(pending, fake, client_for):
    fake.decline(checkout_id(pending), result_code=1032)
    before = e2e.snapshot()
    response = callback(client_for, fake.stk_callback(checkout_id(pending), result_code=0))
    assert response.status_code == 503 and response.data["verdict"] == "REJECTED"
    assert e2e.snapshot() == before and e2e.stored(pending).status == "PENDING"


def test_replayed_callback_is_applied_once(pending, user, fake, client_for):
    fake.approve(checkout_id(pending))
    body = fake.stk_callback(checkout_id(pending))
    first, replay = callback(client_for, body), callback(client_for, body)
    assert first.data["verdict"] == "APPLIED" and replay.status_code == 200 and replay.data["verdict"] == "DUPLICATE"
    assert balance_of(user) == Decimal("1100.00") and e2e.stored(pending).entries.count() == 2
    assert run_all() == []


def test_callback_with_another_amount_moves_nothing(pending, user, fake, client_for):
    fake.approve(checkout_id(pending))
    before = e2e.snapshot()
    response = callback(client_for, fake.stk_callback(checkout_id(pending), amount=10000))
    assert response.status_code == 200 and response.data["verdict"] == "REVIEW"
    assert "expected 100.00 KES" in response.data["reason"] and e2e.stored(pending).status == "PENDING"
    assert e2e.snapshot()["balances"] == before["balances"] and e2e.snapshot()["entries"] == before["entries"]


# --- reconciliation ---------------------------------------------------------------------------------


def test_a_b2c_payout_whose_result_was_lost_is_settled_by_a_transaction_status_query(api, user, fake, client_for):
    """Daraja answers a Transaction Status query later, on the ResultURL: reconciliation asks, and
    the answer is applied as a webhook."""
    txn = withdraw(api).data
    conversation = e2e.payment_of(txn).provider_reference
    fake.settle_b2c(conversation)  # Daraja paid; its Result never reached us
    from comrade.gateways.services import reconcile_run

    run = reconcile_run(now=timezone.now() + timedelta(minutes=20))
    assert run.checked == 1 and e2e.stored(txn).status == "AUTHORIZED"  # asked; the answer comes later
    [(result_url, answer)] = fake.outbox
    assert result_url.endswith(f"/payments/webhooks/mpesa/{e2e.MPESA_SECRET}/")
    hook = callback(client_for, answer)
    assert hook.status_code == 200 and hook.data["verdict"] == "APPLIED", hook.data
    assert e2e.stored(txn).status == "COMPLETED" and e2e.payment_of(txn).resolved_at is not None
    assert balance_of(user) == Decimal("700.00") and e2e.balance("holding") == 0
    assert run_all() == []
