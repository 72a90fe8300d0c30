from django.urls import reverse

from comrade.bank.services.references import wallet_reference
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import profile_for

TOP_UP = reverse("wallet:top_up")


def test_the_top_up_page_shows_our_account_and_my_own_reference(web_client, make_user):
    me, other = make_user(), make_user()
    reference = wallet_reference(profile_for(me))
    html = web_client(me).get(TOP_UP).content.decode()
    assert "Pay by bank transfer" in html
    assert "Comrade Pay" in html and "DE89 3704 0044 0532 0130 00" in html and "COBADEFFXXX" in html
    grouped = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert grouped in html
    assert wallet_reference(profile_for(other)) not in html.replace(" ", "")
    assert "Quote this reference, or we cannot match your transfer" in html
    assert "usually the next working day" in html


def test_the_reference_is_the_one_the_api_gives(web_client, client_for, make_user):
    me = make_user()
    api = client_for(me).get("/payments/payment-profiles/bank_details/").json()
    html = web_client(me).get(TOP_UP).content.decode()
    assert api["reference"] in html.replace(" ", "")


def test_the_bank_is_not_a_top_up_method(web_client, make_user):
    me = make_user()
    client = web_client(me)
    html = client.get(TOP_UP).content.decode()
    assert 'value="bank"' not in html
    before = TransactionToken.objects.count(), LedgerEntry.objects.count()
    answer = client.post(TOP_UP, {"provider": "bank", "amount": "10.00"})
    assert answer.status_code == 200
    assert "Select a valid choice" in answer.content.decode()
    assert (TransactionToken.objects.count(), LedgerEntry.objects.count()) == before


def test_no_bank_card_when_bank_transfers_are_off(web_client, make_user, settings):
    settings.BANK_ACCOUNT_IBAN = ""
    html = web_client(make_user()).get(TOP_UP).content.decode()
    assert "Pay by bank transfer" not in html
    assert "Sandbox" in html
