"""Wallet journeys in a real browser: top up through the sandbox checkout, send money to a friend
who then sees it, and a double-clicked Send that moves the money once. Each journey checks what
the person sees and what the ledger holds afterwards."""

from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of, profile_for
from comrade.web.tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox_here(settings, site):
    """The sandbox's checkout links point at this live server (they are built from SITE_URL)."""
    settings.SITE_URL = site
    # In-process: a webhook posted back to the live server would write from a second thread,
    # which SQLite's shared in-memory test database answers with "table is locked".
    settings.SANDBOX_WEBHOOK_DELIVERY = "inline"


def session_cookie(user, site) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}


def shoot_both(page, screenshot, name):
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        screenshot(page, name)


def test_top_up_through_the_sandbox_checkout(page, site, sign_in, screenshot, sandbox_here, make_user):
    me = make_user(first_name="Amina", last_name="Otieno")
    sign_in(me)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/")
    expect(page.get_by_role("heading", name="Nothing here yet")).to_be_visible()
    page.get_by_role("link", name="Top up").first.click()
    expect(page.get_by_role("heading", name="Top up your wallet")).to_be_visible()
    expect(page.get_by_text("Fee: No fee.")).to_be_visible()
    page.get_by_label("Sandbox (test payments)").check()
    page.get_by_label("Amount").fill("1,250.5")
    page.get_by_role("button", name="Continue").click()
    confirm = page.get_by_role("button", name="Top up USD 1,250.50 with Sandbox (test payments)")
    expect(confirm).to_be_visible()
    confirm.click()

    expect(page.get_by_role("heading", name="Sandbox checkout")).to_be_visible()
    deposit = TransactionToken.objects.get(sender=me, transaction_type="DEPOSIT")
    assert deposit.status == "PENDING" and balance_of(me) == Decimal("0.00")
    page.get_by_role("button", name="Approve").click()

    expect(page).to_have_url(f"{site}/transactions/{deposit.pk}/?check=1")
    expect(page.locator("#status-word")).to_have_text("Completed")
    expect(page.locator(".stage.done")).to_have_count(3)
    expect(page.locator("#txn-status")).not_to_have_attribute("hx-trigger", "every 3s")
    deposit.refresh_from_db()
    assert deposit.status == "COMPLETED"
    assert balance_of(me) == Decimal("1250.50")
    entry = LedgerEntry.objects.get(transaction=deposit, account_id=profile_for(me).account_id)
    assert entry.amount == Decimal("1250.50") and entry.balance_after == Decimal("1250.50")

    page.get_by_role("link", name="Home").click()
    expect(page.locator("#balance")).to_have_text("USD 1,250.50")
    expect(page.get_by_text("Top-up").first).to_be_visible()
    expect(page.locator("figure.chart svg")).to_be_visible()
    shoot_both(page, screenshot, "wallet-home")


def test_send_money_to_a_friend_who_sees_it(page, browser, site, sign_in, screenshot, make_user):
    me = make_user(balance="100.00", first_name="Amina", last_name="Otieno")
    friend = make_user(balance="5.00", first_name="Wanjiku", last_name="Kamau", email="wanjiku@example.com")
    sign_in(me)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/send/")
    page.get_by_label("Recipient's email").fill("wanjiku@example.com")
    page.get_by_label("Amount").fill("12.5")
    page.get_by_label("What is it for? (optional)").fill("Lunch on Friday")
    page.get_by_role("button", name="Continue").click()
    send = page.get_by_role("button", name="Send USD 12.50 to Wanjiku Kamau")
    expect(send).to_be_visible()
    expect(page.get_by_text("None: sending to another Comrade Pay wallet is free")).to_be_visible()
    shoot_both(page, screenshot, "wallet-send-review")
    page.set_viewport_size(PHONE)

    # Edit keeps the values
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Amount")).to_have_value("12.50")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send USD 12.50 to Wanjiku Kamau").click()
    expect(page.locator("#status-word")).to_have_text("Completed")
    expect(page.get_by_role("heading", name="Sent: USD \u221212.50 (money out)")).to_be_visible()
    assert balance_of(me) == Decimal("87.50") and balance_of(friend) == Decimal("17.50")

    page.goto(f"{site}/history/")
    expect(page.get_by_text("Wanjiku Kamau")).to_be_visible()
    shoot_both(page, screenshot, "wallet-history")

    theirs = browser.new_context(viewport=PHONE)
    try:
        theirs.add_cookies([session_cookie(friend, site)])
        friend_page = theirs.new_page()
        friend_page.goto(f"{site}/")
        expect(friend_page.locator("#balance")).to_have_text("USD 17.50")
        row = friend_page.locator(".txn").filter(has_text="Amina Otieno").first
        expect(row).to_contain_text("Received")
        expect(row).to_contain_text("USD 12.50")
        expect(row).to_contain_text("Money in")
        friend_page.goto(f"{site}/history/?transaction_type=TRANSFER")
        expect(friend_page.locator(".txn")).to_have_count(1)
        expect(friend_page.locator(".txn")).to_contain_text("Lunch on Friday")
    finally:
        theirs.close()
    transfer = TransactionToken.objects.get(transaction_type="TRANSFER")
    assert (transfer.sender, transfer.receiver, transfer.status) == (me, friend, "COMPLETED")


def test_a_double_clicked_send_moves_the_money_once(page, site, sign_in, make_user):
    me = make_user(balance="50.00")
    friend = make_user(first_name="Kim", last_name="Lee")
    sign_in(me)
    page.goto(f"{site}/send/")
    page.get_by_label("Recipient's email").fill(friend.email)
    page.get_by_label("Amount").fill("20")
    page.get_by_role("button", name="Continue").click()
    confirm = page.get_by_role("button", name="Send USD 20.00 to Kim Lee")
    expect(confirm).to_be_visible()
    form = {
        name: page.locator(f'form:has(#confirm) input[name="{name}"]').get_attribute("value")
        for name in ("csrfmiddlewaretoken", "recipient", "amount", "description", "form_key")
    }
    confirm.dblclick()
    expect(page.locator("#status-word")).to_have_text("Completed")
    receipt = page.url

    # the same confirm form posted again (a resubmit, a retry) replays the first receipt
    again = page.request.post(f"{site}/send/", form={k: v or "" for k, v in form.items()}, max_redirects=0)
    assert again.status == 302 and f"{site}{again.headers['location']}" == receipt

    assert TransactionToken.objects.filter(transaction_type="TRANSFER").count() == 1
    assert balance_of(me) == Decimal("30.00") and balance_of(friend) == Decimal("20.00")
    page.goto(f"{site}/history/")
    expect(page.locator(".txn").filter(has_text="Sent")).to_have_count(1)
