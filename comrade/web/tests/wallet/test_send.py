import re
from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.core.models import IdempotencyRecord
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
URL = reverse("wallet:send")


def key_of(response) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', response.content.decode()).group(1)


def counts():
    return TransactionToken.objects.count(), LedgerEntry.objects.count(), IdempotencyRecord.objects.count()


@pytest.fixture
def pair(make_user):
    sender = make_user(balance="100.00", first_name="Amina", last_name="Otieno")
    friend = make_user(first_name="Wanjiku", last_name="Kamau", email="wanjiku@example.com")
    return sender, friend


def test_the_form_asks_for_an_amount_as_text_with_a_decimal_keyboard(web_client, pair):
    page = web_client(pair[0]).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'inputmode="decimal"' in html and 'type="number"' not in html
    assert 'hx-disabled-elt="find button"' in html


def test_review_shows_the_registered_name_fee_and_balance_after_and_moves_nothing(web_client, pair):
    sender, friend = pair
    before = counts()
    page = web_client(sender).post(URL, {"recipient": "WANJIKU@example.com", "amount": "12.5", "description": "Lunch"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Wanjiku Kamau" in html
    assert "Send USD 12.50 to Wanjiku Kamau" in html
    assert "USD 87.50" in html  # balance after
    assert "Fee" in html and "free" in html
    assert 'name="form_key"' in html
    assert "amount=12.50" in html and "recipient=wanjiku%40example.com" in html  # the Edit link keeps values
    assert counts() == before
    assert balance_of(sender) == Decimal("100.00")


def test_amounts_with_thousands_separators_are_accepted(web_client, make_user):
    sender = make_user(balance="5000.00")
    friend = make_user(first_name="Kim", last_name="Lee")
    page = web_client(sender).post(URL, {"recipient": friend.email, "amount": "1,250"})
    assert "Send USD 1,250.00 to Kim Lee" in page.content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.505", "at most two decimals"),
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("abc", "in numbers"),
        ("1e3", "in numbers"),
        ("NaN", "in numbers"),
        ("1,25", "in numbers"),
        ("99999999999", "The most you can move"),
        ("", "required"),
    ],
)
def test_a_bad_amount_is_refused_next_to_the_field_and_nothing_is_written(web_client, pair, amount, message):
    sender, friend = pair
    before = counts()
    page = web_client(sender).post(URL, {"recipient": friend.email, "amount": amount})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="id_amount_error"' in html and message in html
    assert 'aria-invalid="true"' in html and "<title>Error:" in html
    assert counts() == before and balance_of(sender) == Decimal("100.00")


def test_an_unknown_email_is_named_as_unknown(web_client, pair):
    page = web_client(pair[0]).post(URL, {"recipient": "nobody@example.com", "amount": "5"})
    html = page.content.decode()
    assert 'id="id_recipient_error"' in html and "No one is registered with this email" in html


def test_sending_to_yourself_is_refused(web_client, pair):
    sender = pair[0]
    page = web_client(sender).post(URL, {"recipient": sender.email, "amount": "5"})
    assert "You cannot send money to yourself" in page.content.decode()


def test_more_than_the_balance_is_refused_before_review(web_client, pair):
    sender, friend = pair
    before = counts()
    page = web_client(sender).post(URL, {"recipient": friend.email, "amount": "100.01"})
    html = page.content.decode()
    assert 'id="id_amount_error"' in html and "USD 100.00 available" in html
    assert counts() == before


def test_confirm_moves_the_money_once_however_often_it_is_posted(web_client, pair):
    sender, friend = pair
    client = web_client(sender)
    review = client.post(URL, {"recipient": friend.email, "amount": "12.50", "description": "Lunch"})
    confirm = {"recipient": friend.email, "amount": "12.50", "description": "Lunch", "form_key": key_of(review)}
    first = client.post(URL, confirm)
    second = client.post(URL, confirm)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    txn = TransactionToken.objects.get(transaction_type="TRANSFER")
    assert first["Location"] == reverse("wallet:transaction", args=[txn.pk])
    assert (txn.sender, txn.receiver, txn.amount, txn.status) == (sender, friend, Decimal("12.50"), "COMPLETED")
    assert balance_of(sender) == Decimal("87.50") and balance_of(friend) == Decimal("12.50")


def test_confirm_with_a_changed_amount_under_the_same_key_moves_nothing_more(web_client, pair):
    sender, friend = pair
    client = web_client(sender)
    review = client.post(URL, {"recipient": friend.email, "amount": "10"})
    key = key_of(review)
    client.post(URL, {"recipient": friend.email, "amount": "10", "form_key": key})
    again = client.post(URL, {"recipient": friend.email, "amount": "20", "form_key": key})
    assert again.status_code == 200
    assert TransactionToken.objects.filter(transaction_type="TRANSFER").count() == 1
    assert balance_of(sender) == Decimal("90.00")


def test_confirm_without_a_valid_key_moves_nothing(web_client, pair):
    sender, friend = pair
    before = counts()
    page = web_client(sender).post(URL, {"recipient": friend.email, "amount": "10", "form_key": "not-a-uuid"})
    assert page.status_code == 200 and "expired" in page.content.decode()
    assert counts() == before


def test_confirm_when_the_money_is_gone_records_the_failure_and_moves_nothing(web_client, make_user):
    sender = make_user(balance="10.00")
    friend = make_user()
    client = web_client(sender)
    review = client.post(URL, {"recipient": friend.email, "amount": "10"})
    other = make_user()
    client.post(
        URL,
        {
            "recipient": other.email,
            "amount": "10",
            "form_key": key_of(client.post(URL, {"recipient": other.email, "amount": "10"})),
        },
    )
    late = client.post(URL, {"recipient": friend.email, "amount": "10", "form_key": key_of(review)}, follow=True)
    assert "Failed" in late.content.decode()
    assert balance_of(sender) == Decimal("0.00") and balance_of(friend) == Decimal("0.00")
    failed = TransactionToken.objects.get(receiver=friend)
    assert failed.status == "FAILED" and not failed.entries.exists()


def test_a_logged_out_visitor_is_sent_to_log_in(client):
    assert client.get(URL)["Location"].startswith(reverse("auth:login"))
