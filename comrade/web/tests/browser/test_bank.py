"""Bank transfers in a real browser: the bank card on the top-up page, then save a bank account,
withdraw to it, and follow the payout through the bank: the export job writes the pain.001 file,
the fake bank executes it, its camt.053 statement is imported, and the receipt shows Completed."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comrade.bank import fakebank
from comrade.bank.formats.builders import camt053
from comrade.bank.models import BankAccount, PaymentFile
from comrade.bank.services.export import bank_payments_export
from comrade.bank.services.references import formatted, wallet_reference
from comrade.bank.services.statements import statement_file_import
from comrade.gateways.services.common import holding_account
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of, profile_for
from comrade.web.tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def bank_settings(settings):
    settings.BANK_ACCOUNT_IBAN = "DE89370400440532013000"
    settings.BANK_ACCOUNT_BIC = "COBADEFFXXX"
    settings.BANK_ACCOUNT_NAME = "Comrade Pay"
    settings.DEFAULT_CURRENCY = "EUR"


def test_bank_card_then_withdraw_to_a_saved_account_until_the_statement_completes_it(
    page, site, sign_in, screenshot, make_user
):
    me = make_user(balance="100.00", first_name="Jane", last_name="Doe")
    staff = make_user(is_staff=True)
    sign_in(me)
    page.set_viewport_size(PHONE)

    # the top-up page tells me where to transfer to, with my own reference
    page.goto(f"{site}/top-up/")
    card = page.locator(".bank-card")
    expect(card.get_by_role("heading", name="Pay by bank transfer")).to_be_visible()
    expect(card).to_contain_text("DE89 3704 0044 0532 0130 00")
    expect(card).to_contain_text(formatted(wallet_reference(profile_for(me))))
    expect(card).to_contain_text("Quote this reference, or we cannot match your transfer")
    expect(page.locator('input[name="provider"][value="bank"]')).to_have_count(0)
    screenshot(page, "bank-top-up")  # build/screenshots/bank-top-up-360.png (docs/screenshots/bank-top-up-phone.png)

    # no account yet: the withdraw page sends me to add one, and back
    page.goto(f"{site}/withdraw/")
    page.get_by_label("Bank transfer").check()
    page.get_by_label("Amount").fill("25")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#id_bank_account_error")).to_contain_text("no saved bank account")
    assert not TransactionToken.objects.filter(transaction_type="WITHDRAWAL").exists()
    page.get_by_role("link", name="Add a bank account").click()
    expect(page.get_by_role("heading", name="Add a bank account")).to_be_visible()
    page.get_by_label("Account holder's name").fill("Jane Doe")
    page.get_by_label("IBAN").fill("GB29 NWBK 6016 1331 9268 18")  # one digit wrong
    page.get_by_role("button", name="Save bank account").click()
    expect(page.locator("#id_iban_error")).to_contain_text("Not a valid IBAN")
    assert not BankAccount.objects.exists()
    page.get_by_label("IBAN").fill("GB29 NWBK 6016 1331 9268 19")
    page.get_by_role("button", name="Save bank account").click()

    # back on the withdraw page with the account chosen
    expect(page.get_by_role("heading", name="Withdraw from your wallet")).to_be_visible()
    account = BankAccount.objects.get(user=me)
    expect(page.locator("#id_bank_account")).to_have_value(str(account.pk))
    expect(page.locator("#id_destination")).to_be_hidden()  # the other methods' destination
    page.get_by_label("Amount").fill("25")
    screenshot(page, "bank-withdraw")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Paid by bank transfer, usually in 1–2 working days")).to_be_visible()
    expect(page.locator(".review")).to_contain_text("Jane Doe, IBAN •••• 6819")
    screenshot(page, "bank-withdraw-review")
    page.get_by_role("button", name=re.compile(r"Withdraw EUR 25\.00 to Bank transfer")).click()

    expect(page.locator("#status-word")).to_have_text("Pending")
    txn = TransactionToken.objects.get(sender=me, transaction_type="WITHDRAWAL")
    expect(page).to_have_url(f"{site}/transactions/{txn.pk}/")
    expect(page.locator(".review")).to_contain_text("•••• 6819")
    assert balance_of(me) == Decimal("75.00") and holding_account().balance == Decimal("25.00")

    # the bank's side: export the pain.001 file, the bank executes it, import its statement
    assert bank_payments_export(timezone.now()) == 1
    payment_file = PaymentFile.objects.get()
    statement = fakebank.execute(payment_file.xml.encode())
    statement_file_import(data=camt053(statement), filename="statement.xml", imported_by=staff)

    page.reload()
    expect(page.locator("#status-word")).to_have_text("Completed")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        screenshot(page, "bank-withdraw-receipt")
    txn.refresh_from_db()
    assert txn.status == "COMPLETED"
    assert balance_of(me) == Decimal("75.00") and holding_account().balance == Decimal("0.00")
    entries = LedgerEntry.objects.filter(transaction__in=TransactionToken.objects.filter(pk=txn.pk))
    assert sum(e.amount for e in entries) == 0
    mine = LedgerEntry.objects.filter(account_id=profile_for(me).account_id).order_by("id").last()
    assert mine.amount == Decimal("-25.00") and mine.balance_after == Decimal("75.00")
