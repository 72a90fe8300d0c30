import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from comrade.gateways.models import ExternalPayment
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
TOP_UP = reverse("wallet:top_up")
WITHDRAW = reverse("wallet:withdraw")


def key_of(response) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', response.content.decode()).group(1)


def counts():
    return TransactionToken.objects.count(), LedgerEntry.objects.count(), ExternalPayment.objects.count()


def test_the_methods_are_shown_with_fee_and_what_happens(web_client, make_user):
    html = web_client(make_user()).get(TOP_UP).content.decode()
    assert "Sandbox (test payments)" in html and "Fee: No fee" in html and "Arrives:" in html
    assert "test checkout page" in html
    assert 'inputmode="decimal"' in html and 'hx-disabled-elt="find button"' in html
    assert "M-Pesa phone number" not in html  # M-Pesa is not enabled here


def test_top_up_review_then_confirm_sends_the_person_to_the_checkout_and_back(web_client, make_user):
    me = make_user()
    client = web_client(me)
    before = counts()
    review = client.post(TOP_UP, {"provider": "sandbox", "amount": "25"})
    html = review.content.decode()
    assert "Top up USD 25.00 with Sandbox (test payments)" in html
    assert counts() == before
    confirm = client.post(TOP_UP, {"provider": "sandbox", "amount": "25.00", "form_key": key_of(review)})
    assert confirm.status_code == 302
    txn = TransactionToken.objects.get(transaction_type="DEPOSIT")
    assert (txn.status, txn.amount, txn.external_payment_provider) == ("PENDING", Decimal("25.00"), "sandbox")
    checkout = urlsplit(confirm["Location"])
    assert checkout.path == reverse("sandbox-checkout", args=[txn.external.provider_reference])
    back = parse_qs(checkout.query)["return"][0]
    assert back == reverse("wallet:transaction", args=[txn.pk]) + "?check=1"
    # the same confirm again replays the first answer
    again = client.post(TOP_UP, {"provider": "sandbox", "amount": "25.00", "form_key": key_of(review)})
    assert again["Location"] == confirm["Location"]
    assert TransactionToken.objects.filter(transaction_type="DEPOSIT").count() == 1
    # approving at the sandbox brings the person back to the receipt, and the money lands
    approved = client.post(f"{checkout.path}?{checkout.query}", {"decision": "approve"})
    assert approved.status_code == 302 and approved["Location"] == back
    receipt = client.get(back)
    assert "Completed" in receipt.content.decode()
    txn.refresh_from_db()
    assert txn.status == "COMPLETED" and balance_of(me) == Decimal("25.00")


def test_an_htmx_confirm_opens_the_checkout_by_a_full_navigation(web_client, make_user):
    client = web_client(make_user())
    review = client.post(TOP_UP, {"provider": "sandbox", "amount": "5"})
    confirm = client.post(
        TOP_UP, {"provider": "sandbox", "amount": "5", "form_key": key_of(review)}, headers={"HX-Request": "true"}
    )
    assert "/payments/sandbox/checkout/" in confirm["HX-Redirect"]


def test_the_checkout_ignores_a_return_to_another_site(web_client, make_user):
    from comrade.gateways.services import external_transaction_create

    me = make_user()
    txn = external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("5"), provider="sandbox")
    url = reverse("sandbox-checkout", args=[txn.external.provider_reference])
    answer = web_client(me).post(f"{url}?return=https://evil.example/", {"decision": "decline"})
    assert answer.status_code == 200  # the provider's own result page, no redirect
    txn.refresh_from_db()
    assert txn.status == "FAILED" and balance_of(me) == Decimal("0.00")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"provider": "sandbox", "amount": "1.234"}, "amount"),
        ({"provider": "sandbox", "amount": "-3"}, "amount"),
        ({"provider": "sandbox", "amount": "0"}, "amount"),
        ({"provider": "sandbox", "amount": "99999999999"}, "amount"),
        ({"provider": "nope", "amount": "3"}, "provider"),
        ({"amount": "3"}, "provider"),
    ],
)
def test_bad_top_ups_are_refused_next_to_the_field(web_client, make_user, values, field):
    me = make_user(balance="10.00")
    before = counts()
    page = web_client(me).post(TOP_UP, values)
    assert page.status_code == 200
    assert f'id="id_{field}_error"' in page.content.decode()
    assert counts() == before and balance_of(me) == Decimal("10.00")


def test_withdraw_review_then_confirm_pays_out_once(web_client, make_user):
    me = make_user(balance="50.00")
    client = web_client(me)
    review = client.post(WITHDRAW, {"provider": "sandbox", "amount": "20", "destination": "acct-123"})
    html = review.content.decode()
    assert "Withdraw USD 20.00 to Sandbox (test payments)" in html and "USD 30.00" in html
    values = {"provider": "sandbox", "amount": "20.00", "destination": "acct-123", "form_key": key_of(review)}
    first = client.post(WITHDRAW, values)
    second = client.post(WITHDRAW, values)
    txn = TransactionToken.objects.get(transaction_type="WITHDRAWAL")
    assert first["Location"] == second["Location"] == reverse("wallet:transaction", args=[txn.pk])
    assert txn.status == "COMPLETED" and txn.external.destination == "acct-123"
    assert balance_of(me) == Decimal("30.00")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"provider": "sandbox", "amount": "50.01", "destination": "acct"}, "amount"),
        ({"provider": "sandbox", "amount": "5", "destination": ""}, "destination"),
        ({"provider": "sandbox", "amount": "5.001", "destination": "acct"}, "amount"),
    ],
)
def test_bad_withdrawals_are_refused_next_to_the_field(web_client, make_user, values, field):
    me = make_user(balance="50.00")
    before = counts()
    page = web_client(me).post(WITHDRAW, values)
    assert page.status_code == 200 and f'id="id_{field}_error"' in page.content.decode()
    assert counts() == before and balance_of(me) == Decimal("50.00")


def test_a_withdrawal_the_provider_refuses_at_confirm_shows_on_the_receipt(web_client, make_user):
    me = make_user(balance="50.00")
    client = web_client(me)
    values = {"provider": "sandbox", "amount": "10.13", "destination": "acct"}  # the sandbox fails .13
    review = client.post(WITHDRAW, values)
    done = client.post(WITHDRAW, {**values, "form_key": key_of(review)}, follow=True)
    assert "Failed" in done.content.decode()
    assert balance_of(me) == Decimal("50.00")
