"""Reconciliation against the stateful sandbox: payments whose answer never arrived are asked
about and settled through the webhook's code path; every question and answer is kept; staff see
what is open and for how long."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from comrade.gateways.models import ExternalPayment, ReconciliationCheck, SandboxObject, WebhookEvent
from comrade.gateways.providers.base import PaymentStatus
from comrade.gateways.registry import gateway_for
from comrade.gateways.services import payment_cancel, payments_expire, reconcile_run
from comrade.gateways.services.payouts import _answer, _outbound_hold, _outbound_result
from comrade.gateways.tests.conftest import event_data
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import wallet_account_id

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=20)


def payment_of(txn: dict) -> ExternalPayment:
    return ExternalPayment.objects.select_related("transaction").get(transaction__token=txn["token"])


def pay_at_the_sandbox(txn: dict) -> None:
    """The customer paid, but the webhook never reached us."""
    SandboxObject.objects.filter(provider_reference=payment_of(txn).provider_reference).update(status="SUCCEEDED")


def held_withdrawal(user, amount: str = "30.00") -> ExternalPayment:
    """A withdrawal whose worker died between the committed hold and the provider call."""
    return _outbound_hold(
        source_account_id=wallet_account_id(user),
        provider="sandbox",
        destination="acct_demo",
        fields={"sender": user, "receiver": user, "amount": Decimal(amount), "transaction_type": "WITHDRAWAL"},
    )


def test_a_paid_deposit_whose_webhook_never_came_is_completed(user, deposit):
    txn = deposit("40.00").data
    pay_at_the_sandbox(txn)
    assert reconcile_run(now=timezone.now()).checked == 0  # too young to ask about
    run = reconcile_run(now=timezone.now() + LATER)
    assert (run.checked, run.settled) == (1, 1)
    payment = payment_of(txn)
    assert payment.transaction.status == "COMPLETED" and payment.resolved_at is not None
    assert payment.provider_status == "SUCCEEDED" and payment.check_count == 1
    check = ReconciliationCheck.objects.get(payment=payment)
    assert (check.provider_status, check.outcome) == ("SUCCEEDED", "APPLIED")
    assert balance_of(user) == Decimal("140.00") and run_all() == []
    assert reconcile_run(now=timezone.now() + 2 * LATER).checked == 0  # resolved: never asked again


def test_an_unpaid_deposit_is_asked_again_later_with_backoff(user, deposit, settings):
    settings.RECONCILE_BACKOFF_BASE_SECONDS = 60
    txn = deposit("40.00").data
    now = timezone.now() + LATER
    reconcile_run(now=now)
    first = payment_of(txn)
    assert first.next_check_at == now + timedelta(seconds=60) and first.check_count == 1
    assert reconcile_run(now=now + timedelta(seconds=30)).checked == 0
    reconcile_run(now=now + timedelta(seconds=61))
    second = payment_of(txn)
    assert second.next_check_at == now + timedelta(seconds=61 + 120) and second.check_count == 2
    assert second.transaction.status == "PENDING" and balance_of(user) == Decimal("100.00")
    assert list(ReconciliationCheck.objects.values_list("outcome", "provider_status")) == [
        ("NOTED", "PENDING"),
        ("NOTED", "PENDING"),
    ]


def test_a_withdrawal_stranded_by_a_killed_worker_is_released_and_can_never_pay_later(user):
    payment = held_withdrawal(user)
    assert payment.transaction.status == "AUTHORIZED" and balance_of(user) == Decimal("70.00")
    reconcile_run(now=timezone.now() + LATER)
    txn = TransactionToken.objects.get(pk=payment.transaction_id)
    assert txn.status == "FAILED" and txn.failure_code == "not_received"
    assert balance_of(user) == Decimal("100.00") and LedgerAccount.objects.get(code="holding").balance == 0
    late = gateway_for("sandbox").payout(_payout_request(txn))
    assert late.status == PaymentStatus.CANCELLED  # the provider refuses the request that was lost in flight
    assert run_all() == []


def test_a_withdrawal_paid_before_the_worker_died_is_completed(user):
    payment = held_withdrawal(user)
    gateway_for("sandbox").payout(_payout_request(payment.transaction))  # the call got through; its answer did not
    reconcile_run(now=timezone.now() + LATER)
    assert TransactionToken.objects.get(pk=payment.transaction_id).status == "COMPLETED"
    assert balance_of(user) == Decimal("70.00") and LedgerAccount.objects.get(code="clearing:sandbox").balance == 30
    assert run_all() == []


def _payout_request(txn):
    from comrade.gateways.providers.base import PayoutRequest

    return PayoutRequest(
        reference=txn.token,
        amount=txn.amount,
        currency=txn.currency,
        destination="acct_demo",
        idempotency_key=txn.token,
    )


def test_expiry_cancels_at_the_provider_so_the_customer_cannot_pay_later(user, deposit, client_for):
    txn = deposit("40.00").data
    assert payments_expire(timezone.now() + timedelta(hours=2)) == 1
    payment = payment_of(txn)
    assert payment.transaction.status == "FAILED" and payment.transaction.failure_code == "expired"
    assert SandboxObject.objects.get(provider_reference=payment.provider_reference).status == "CANCELLED"
    assert payment.resolved_at is not None
    page = client_for().post(f"/payments/sandbox/checkout/{payment.provider_reference}/", {"decision": "approve"})
    assert page.status_code == 200 and balance_of(user) == Decimal("100.00")
    assert SandboxObject.objects.get(provider_reference=payment.provider_reference).status == "CANCELLED"


def test_a_cancel_that_comes_too_late_credits_the_money_taken(user, deposit):
    txn = deposit("40.00").data
    pay_at_the_sandbox(txn)
    cancelled = payment_cancel(txn=payment_of(txn).transaction, user=user)
    assert cancelled.status == "CANCELLED"
    credit = TransactionToken.objects.get(related_transaction=cancelled)
    assert credit.status == "COMPLETED" and credit.metadata["credited_because"] == "late_payment"
    assert balance_of(user) == Decimal("140.00") and payment_of(txn).resolved_at is not None
    assert run_all() == []


def test_an_early_payout_event_is_parked_then_applied_when_the_reference_is_stored(user, sandbox_webhook):
    payment = held_withdrawal(user)
    data = {"provider_reference": "sbx_po_early", "amount": "30.00", "currency": "USD"}
    early = sandbox_webhook("payout.succeeded", data)
    assert early.status_code == 200 and early.data["verdict"] == "PARKED"
    assert TransactionToken.objects.get(pk=payment.transaction_id).status == "AUTHORIZED"
    answer = _answer(type("R", (), {"status": PaymentStatus.PENDING, "failure_code": "", "failure_reason": ""}))
    _outbound_result(payment, "sbx_po_early", answer)
    assert TransactionToken.objects.get(pk=payment.transaction_id).status == "COMPLETED"
    assert WebhookEvent.objects.get(provider_reference="sbx_po_early").verdict == "APPLIED"
    assert LedgerAccount.objects.get(code="holding").balance == 0 and run_all() == []


def test_a_stripe_style_failed_attempt_is_not_final(user, deposit, sandbox_webhook):
    """A failed card attempt leaves the payment open; the later success credits it."""
    from comrade.gateways.services import ProviderAnswer, answer_apply

    txn = deposit("40.00").data
    attempt = ProviderAnswer(direction="IN", status=PaymentStatus.PENDING, failure_code="card_declined")
    assert answer_apply(payment=payment_of(txn), answer=attempt).outcome == "NOTED"
    stored = payment_of(txn).transaction
    assert stored.status == "PENDING" and stored.failure_code == "card_declined"
    assert sandbox_webhook("payment.succeeded", event_data(txn)).data["verdict"] == "APPLIED"
    completed = payment_of(txn).transaction
    assert completed.status == "COMPLETED" and completed.failure_code == "" and balance_of(user) == Decimal("140.00")


def test_staff_see_what_is_open_for_how_long_and_why(user, deposit, client_for, make_user, settings):
    settings.RECONCILE_FLAG_AFTER_MINUTES = 10
    young, old = deposit("10.00").data, deposit("20.00").data
    ExternalPayment.objects.filter(transaction__token=old["token"]).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    reconcile_run(now=timezone.now())
    staff = client_for(make_user(is_staff=True))
    listed = staff.get("/payments/reconciliation/")
    assert listed.status_code == 200
    rows = {row["token"]: row for row in listed.data["results"]}
    assert set(rows) == {young["token"], old["token"]}
    assert rows[old["token"]]["flagged"] and not rows[young["token"]]["flagged"]
    assert rows[old["token"]]["last_outcome"] == "NOTED" and rows[old["token"]]["open_for_seconds"] >= 1800
    assert rows[old["token"]]["amount"] == "20.00"
    flagged = staff.get("/payments/reconciliation/?flagged=true").data["results"]
    assert [row["token"] for row in flagged] == [old["token"]]
    assert client_for(user).get("/payments/reconciliation/").status_code == 403
    assert client_for().get("/payments/reconciliation/").status_code in (401, 403)


def test_the_command_reports_what_it_did(user, deposit, capsys):
    txn = deposit("40.00").data
    pay_at_the_sandbox(txn)
    ExternalPayment.objects.update(created_at=timezone.now() - LATER)
    call_command("reconcile_payments")
    assert "asked 1, settled 1" in capsys.readouterr().out
    assert payment_of(txn).transaction.status == "COMPLETED"


def test_a_payout_returned_after_it_was_paid_is_credited_back_once(api, user, sandbox_webhook):
    """Stripe can report payout.failed after payout.paid: the money came back to the platform."""
    response = api.post(
        "/payments/transactions/create_transaction/",
        {
            "amount": "30.00",
            "payment_method": "EXTERNAL",
            "transaction_type": "WITHDRAWAL",
            "external_payment_provider": "sandbox",
            "metadata": {"destination": "acct_demo"},
        },
    )
    assert response.data["status"] == "COMPLETED" and balance_of(user) == Decimal("70.00")
    data = {"reference": response.data["token"], "amount": "30.00", "currency": "USD"}
    returned = sandbox_webhook("payout.failed", {**data, "failure_reason": "account closed"})
    assert returned.data["verdict"] == "APPLIED"
    assert sandbox_webhook("payout.failed", data).data["verdict"] == "IGNORED"
    credit = TransactionToken.objects.get(related_transaction__token=response.data["token"])
    assert credit.metadata["credited_because"] == "returned_by_provider"
    assert TransactionToken.objects.get(token=response.data["token"]).status == "COMPLETED"
    assert balance_of(user) == Decimal("100.00") and run_all() == []
