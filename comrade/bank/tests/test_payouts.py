"""Withdrawals to a saved bank account: the hold, and the outcome read from statement lines
(`payout_statement_line_apply`, which the statement import calls)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.bank.formats.statement import Direction, StatementLine
from comrade.bank.models import PaymentFileEntry
from comrade.bank.services.export import payment_files_export
from comrade.bank.services.payouts import payout_statement_line_apply
from comrade.bank.tests.conftest import holding, ledger_clean
from comrade.gateways.models import ExternalPayment
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of


def _line(entry: PaymentFileEntry, *, reference="E1", amount=None, is_return=False, reason="", currency="EUR"):
    return StatementLine(
        entry_reference=reference,
        direction=Direction.CREDIT if is_return else Direction.DEBIT,
        amount=entry.amount if amount is None else Decimal(amount),
        currency=currency,
        booking_date=date.today(),
        end_to_end_id=entry.end_to_end_id,
        is_return=is_return,
        return_reason=reason,
    )


@pytest.fixture
def exported(api, user, saved_account, withdraw):
    """A 30.00 withdrawal from the user's 100.00, written into a payment file."""
    saved_account(user)
    response = withdraw(api, "30.00")
    assert response.status_code == 201, response.json()
    payment_files_export()
    return PaymentFileEntry.objects.select_related("payment__transaction").get()


def test_withdrawal_holds_the_money_and_pays_the_saved_account(api, user, saved_account, withdraw):
    saved_account(user, "NL", name="Old")
    newest = saved_account(user, "GB", name="Jane Doe")
    response = withdraw(api, "30.00")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "AUTHORIZED"
    assert balance_of(user) == Decimal("70.00")
    assert holding() == Decimal("30.00")
    payment = ExternalPayment.objects.get(transaction__token=body["token"])
    assert payment.provider == "bank" and payment.provider_reference == body["token"]
    assert payment.destination == f"{newest.iban}|{newest.bic}|Jane Doe"
    txn = TransactionToken.objects.get(token=body["token"])
    assert txn.metadata["bank_account_id"] == newest.pk
    assert ledger_clean()


def test_metadata_names_the_account(api, user, saved_account, withdraw):
    chosen = saved_account(user, "NL")
    saved_account(user, "GB")
    body = withdraw(api, "10.00", bank_account_id=chosen.pk).json()
    assert ExternalPayment.objects.get(transaction__token=body["token"]).destination.startswith(chosen.iban)


def test_no_saved_account_is_400_and_writes_nothing(api, user, withdraw):
    response = withdraw(api, "10.00")
    assert response.status_code == 400
    assert "bank account" in response.json()["message"].lower()
    assert not TransactionToken.objects.filter(transaction_type="WITHDRAWAL").exists()
    assert balance_of(user) == Decimal("100.00")


def test_another_users_account_is_refused(api, user, make_user, saved_account, withdraw):
    saved_account(user)
    theirs = saved_account(make_user(), "NL")
    response = withdraw(api, "10.00", bank_account_id=theirs.pk)
    assert response.status_code == 400
    assert not ExternalPayment.objects.exists()
    assert balance_of(user) == Decimal("100.00")


@pytest.mark.parametrize("when", ["2020-01-01", "not-a-date"])
def test_bad_execution_date_is_400(api, user, saved_account, withdraw, when):
    saved_account(user)
    assert withdraw(api, "10.00", execution_date=when).status_code == 400
    assert not ExternalPayment.objects.exists()


def test_more_than_the_balance_fails_without_a_hold(api, user, saved_account, withdraw):
    saved_account(user)
    response = withdraw(api, "500.00")
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_funds"
    assert balance_of(user) == Decimal("100.00")
    assert holding() == Decimal("0.00")


def test_bank_deposit_is_refused_before_anything_is_written(api, user):
    body = {"amount": "10.00", "payment_method": "EXTERNAL", "transaction_type": "DEPOSIT"}
    response = api.post(
        "/payments/transactions/create_transaction/", {**body, "external_payment_provider": "bank"}, format="json"
    )
    assert response.status_code == 400
    assert "transaction_type" in response.json()["fields"]
    assert not TransactionToken.objects.filter(external_payment_provider="bank").exists()


def test_bank_provider_disabled_without_settings(api, user, saved_account, withdraw, settings):
    saved_account(user)
    settings.BANK_ACCOUNT_IBAN = ""
    response = withdraw(api, "10.00")
    assert response.status_code == 400
    assert "external_payment_provider" in response.json()["fields"]


def test_providers_list_the_bank_for_withdrawals(api):
    providers = {p["name"]: p for p in api.get("/payments/providers/").json()}
    assert providers["bank"]["supports"] == ["withdrawal"]


def test_debit_completes_the_payout_once(exported, user):
    assert payout_statement_line_apply(line=_line(exported), entry_id=1) is True
    assert payout_statement_line_apply(line=_line(exported, reference="E2"), entry_id=2) is True
    txn = TransactionToken.objects.get(pk=exported.payment.transaction_id)
    assert txn.status == "COMPLETED"
    assert balance_of(user) == Decimal("70.00")
    assert holding() == Decimal("0.00")
    assert txn.entries.count() == 4  # the hold and the payout, once each
    exported.refresh_from_db()
    assert exported.outcome == "DEBITED" and exported.bank_entry_id == 1
    assert exported.file.__class__.objects.get(pk=exported.file_id).status == "CLOSED"
    assert ledger_clean()


def test_return_releases_the_hold_once(exported, user):
    line = _line(exported, is_return=True, reason="AC04")
    assert payout_statement_line_apply(line=line, entry_id=1) is True
    assert payout_statement_line_apply(line=line, entry_id=2) is True
    txn = TransactionToken.objects.get(pk=exported.payment.transaction_id)
    assert txn.status == "FAILED" and "AC04" in txn.failure_reason
    assert balance_of(user) == Decimal("100.00")
    assert holding() == Decimal("0.00")
    # the debit of the returned transfer, seen afterwards, moves nothing
    assert payout_statement_line_apply(line=_line(exported, reference="E3"), entry_id=3) is True
    assert balance_of(user) == Decimal("100.00")
    assert TransactionToken.objects.get(pk=txn.pk).status == "FAILED"
    assert ledger_clean()


def test_return_after_completion_credits_the_wallet_exactly_once(exported, user):
    payout_statement_line_apply(line=_line(exported), entry_id=1)
    assert balance_of(user) == Decimal("70.00")
    for entry_id in (2, 3):
        payout_statement_line_apply(
            line=_line(exported, reference=f"R{entry_id}", is_return=True, reason="AC04"), entry_id=entry_id
        )
    assert balance_of(user) == Decimal("100.00")
    payment = ExternalPayment.objects.get(pk=exported.payment_id)
    assert payment.wallet_credit is not None
    assert TransactionToken.objects.filter(related_transaction_id=payment.transaction_id).count() == 1
    exported.refresh_from_db()
    assert exported.outcome == "RETURNED"
    assert ledger_clean()


def test_another_amount_is_left_for_review_and_flagged(exported, user, staff_with_otp, client_for):
    assert payout_statement_line_apply(line=_line(exported, amount="29.99"), entry_id=1) is True
    txn = TransactionToken.objects.get(pk=exported.payment.transaction_id)
    assert txn.status == "AUTHORIZED"
    assert holding() == Decimal("30.00")
    exported.refresh_from_db()
    assert exported.outcome == "REVIEW"
    staff = client_for(staff_with_otp(), otp=True)
    flagged = staff.get("/payments/reconciliation/?flagged=true").json()
    rows = flagged["results"] if isinstance(flagged, dict) else flagged
    assert [row["token"] for row in rows] == [txn.token]
    assert rows[0]["flagged"] is True


def test_lines_that_are_not_ours_are_left_alone(exported):
    foreign = StatementLine(
        entry_reference="X",
        direction=Direction.DEBIT,
        amount=Decimal("30.00"),
        currency="EUR",
        booking_date=date.today(),
        end_to_end_id="NOTOURS",
    )
    assert payout_statement_line_apply(line=foreign, entry_id=9) is False
    no_id = StatementLine(
        entry_reference="Y",
        direction=Direction.DEBIT,
        amount=Decimal("30.00"),
        currency="EUR",
        booking_date=date.today(),
    )
    assert payout_statement_line_apply(line=no_id, entry_id=10) is False
    assert TransactionToken.objects.get(pk=exported.payment.transaction_id).status == "AUTHORIZED"


def _flagged_tokens(client) -> list[str]:
    body = client.get("/payments/reconciliation/?flagged=true").json()
    rows = body["results"] if isinstance(body, dict) else body
    return [row["token"] for row in rows]


def test_overdue_payouts_are_flagged_and_never_asked_about(exported, staff_with_otp, client_for, settings):
    from comrade.bank.models import PaymentFile
    from comrade.gateways.models import ReconciliationCheck
    from comrade.gateways.services import reconcile_run

    staff = client_for(staff_with_otp(), otp=True)
    token = exported.payment.transaction.token
    settings.RECONCILE_FLAG_AFTER_MINUTES = 0  # other providers' rule would flag it at once
    assert _flagged_tokens(staff) == []
    four_days_ago = timezone.now() - timedelta(days=4)
    PaymentFile.objects.filter(pk=exported.file_id).update(created=four_days_ago)
    ExternalPayment.objects.filter(pk=exported.payment_id).update(created_at=four_days_ago)
    assert _flagged_tokens(staff) == []
    PaymentFile.objects.filter(pk=exported.file_id).update(created=timezone.now() - timedelta(days=6))
    assert _flagged_tokens(staff) == [token]
    # reconciliation never asks the bank adapter (it could not answer) and changes nothing
    run = reconcile_run(now=timezone.now() + timedelta(days=1))
    assert run.checked == 0
    assert not ReconciliationCheck.objects.exists()
    assert TransactionToken.objects.get(token=token).status == "AUTHORIZED"
    # once debited it is no longer open, so no longer flagged
    payout_statement_line_apply(line=_line(exported), entry_id=1)
    assert _flagged_tokens(staff) == []


def test_held_but_never_exported_is_flagged_after_the_overdue_days(
    api, user, saved_account, withdraw, staff_with_otp, client_for
):
    saved_account(user)
    token = withdraw(api, "10.00").json()["token"]
    staff = client_for(staff_with_otp(), otp=True)
    assert _flagged_tokens(staff) == []
    ExternalPayment.objects.filter(transaction__token=token).update(created_at=timezone.now() - timedelta(days=6))
    assert _flagged_tokens(staff) == [token]
