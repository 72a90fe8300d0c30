from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from comrade.gateways.models import ExternalPayment
from comrade.gateways.services.common import holding_account
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.web.tests.bank.conftest import key_of

pytestmark = pytest.mark.django_db
WITHDRAW = reverse("wallet:withdraw")


def counts():
    return TransactionToken.objects.count(), LedgerEntry.objects.count(), ExternalPayment.objects.count()


def test_the_bank_is_a_withdrawal_method_with_my_accounts(web_client, make_user, saved_account):
    me, other = make_user(), make_user()
    saved_account(me)
    saved_account(other, iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A", name="Someone Else")
    html = web_client(me).get(WITHDRAW).content.decode()
    assert 'value="bank"' in html and "usually in 1–2 working days" in html
    assert "Jane Doe, IBAN ending 6819" in html
    assert "Someone Else" not in html


def test_withdraw_to_a_bank_account_holds_the_money_once(web_client, make_user, saved_account):
    me = make_user(balance="100.00")
    account = saved_account(me)
    client = web_client(me)
    holding_before = holding_account().balance
    before = counts()
    values = {"provider": "bank", "amount": "30.00", "bank_account": str(account.pk)}
    review = client.post(WITHDRAW, values)
    html = review.content.decode()
    assert review.status_code == 200
    assert "Jane Doe, IBAN" in html and "•••• 6819" in html
    assert "Paid by bank transfer, usually in 1–2 working days" in html
    assert "GB29NWBK" not in html
    assert counts() == before and balance_of(me) == Decimal("100.00")
    key = key_of(review)
    confirm = client.post(WITHDRAW, {**values, "form_key": key})
    again = client.post(WITHDRAW, {**values, "form_key": key})  # a double click
    assert confirm.status_code == 302 and again["Location"] == confirm["Location"]
    txn = TransactionToken.objects.get(transaction_type="WITHDRAWAL")
    assert confirm["Location"] == reverse("wallet:transaction", args=[txn.pk])
    assert (txn.amount, txn.external_payment_provider, txn.status) == (
        Decimal("30.00"),
        "bank",
        "AUTHORIZED",
    )  # held, waiting for the file
    assert balance_of(me) == Decimal("70.00")
    assert holding_account().balance == holding_before + Decimal("30.00")
    payment = ExternalPayment.objects.get()
    assert payment.destination == "GB29NWBK60161331926819|NWBKGB2L|Jane Doe"
    assert txn.metadata["bank_account_id"] == account.pk
    entries = LedgerEntry.objects.filter(transaction=txn)
    assert sum(e.amount for e in entries) == 0 and entries.count() == 2
    receipt = client.get(confirm["Location"]).content.decode()
    assert "Jane Doe, IBAN" in receipt and "•••• 6819" in receipt and "NWBKGB2L" in receipt
    assert "GB29NWBK" not in receipt


def test_an_execution_date_is_kept(web_client, make_user, saved_account):
    me = make_user(balance="100.00")
    account = saved_account(me)
    client = web_client(me)
    day = timezone.localdate() + timedelta(days=3)
    values = {"provider": "bank", "amount": "10.00", "bank_account": str(account.pk), "execution_date": day.isoformat()}
    review = client.post(WITHDRAW, values)
    assert f"Paid on {day.day} " in review.content.decode()
    client.post(WITHDRAW, {**values, "form_key": key_of(review)})
    assert TransactionToken.objects.get(transaction_type="WITHDRAWAL").metadata["execution_date"] == day.isoformat()


def test_an_execution_date_too_far_ahead_is_refused_next_to_the_field(web_client, make_user, saved_account):
    me = make_user(balance="100.00")
    account = saved_account(me)
    before = counts()
    day = timezone.localdate() + timedelta(days=60)
    answer = web_client(me).post(
        WITHDRAW, {"provider": "bank", "amount": "10.00", "bank_account": account.pk, "execution_date": day}
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and 'id="id_execution_date_error"' in html and "30 days ahead" in html
    assert counts() == before and balance_of(me) == Decimal("100.00")


def test_no_saved_account_says_so_with_a_link_and_writes_nothing(web_client, make_user):
    me = make_user(balance="100.00")
    before = counts()
    answer = web_client(me).post(WITHDRAW, {"provider": "bank", "amount": "10.00"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "You have no saved bank account yet" in html and 'id="id_bank_account_error"' in html
    assert reverse("bank:add") in html
    assert counts() == before and balance_of(me) == Decimal("100.00")


def test_another_users_account_cannot_be_paid(web_client, make_user, saved_account):
    me, other = make_user(balance="100.00"), make_user()
    saved_account(me)
    theirs = saved_account(other, iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A")
    before = counts()
    answer = web_client(me).post(WITHDRAW, {"provider": "bank", "amount": "10.00", "bank_account": theirs.pk})
    assert answer.status_code == 200 and 'id="id_bank_account_error"' in answer.content.decode()
    assert counts() == before


def test_a_tampered_confirm_for_another_users_account_writes_nothing(web_client, make_user, saved_account):
    me, other = make_user(balance="100.00"), make_user()
    mine = saved_account(me)
    theirs = saved_account(other, iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A")
    client = web_client(me)
    review = client.post(WITHDRAW, {"provider": "bank", "amount": "10.00", "bank_account": mine.pk})
    before = counts()
    answer = client.post(
        WITHDRAW, {"provider": "bank", "amount": "10.00", "bank_account": theirs.pk, "form_key": key_of(review)}
    )
    assert answer.status_code == 200
    assert counts() == before and balance_of(me) == Decimal("100.00")


def test_more_than_the_balance_is_refused(web_client, make_user, saved_account):
    me = make_user(balance="5.00")
    account = saved_account(me)
    before = counts()
    answer = web_client(me).post(WITHDRAW, {"provider": "bank", "amount": "10.00", "bank_account": account.pk})
    assert answer.status_code == 200 and "available" in answer.content.decode()
    assert counts() == before


def test_other_methods_still_need_a_destination(web_client, make_user, saved_account):
    me = make_user(balance="50.00")
    saved_account(me)
    answer = web_client(me).post(WITHDRAW, {"provider": "sandbox", "amount": "10.00"})
    assert answer.status_code == 200 and 'id="id_destination_error"' in answer.content.decode()
    assert not TransactionToken.objects.filter(transaction_type="WITHDRAWAL").exists()
