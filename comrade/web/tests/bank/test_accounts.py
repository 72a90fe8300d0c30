from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.bank.models import BankAccount
from comrade.gateways.services import external_transaction_create

pytestmark = pytest.mark.django_db
LIST = reverse("bank:list")
ADD = reverse("bank:add")


def test_the_list_shows_my_accounts_masked(web_client, make_user, saved_account):
    me, other = make_user(), make_user()
    saved_account(me)
    saved_account(other, iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A", name="Someone Else")
    html = web_client(me).get(LIST).content.decode()
    assert "Jane Doe" in html and "•••• 6819" in html and "NWBKGB2L" in html
    assert "GB29NWBK" not in html and "GB29 NWBK" not in html  # only the last four
    assert "Someone Else" not in html


def test_the_withdraw_page_links_to_the_bank_accounts(web_client, make_user):
    html = web_client(make_user()).get(reverse("wallet:withdraw")).content.decode()
    assert LIST in html and ADD in html


def test_add_an_account(web_client, make_user):
    me = make_user()
    answer = web_client(me).post(ADD, {"holder_name": " Jane  Doe ", "iban": "gb29 nwbk 6016 1331 9268 19", "bic": ""})
    assert answer.status_code == 302 and answer["Location"] == LIST
    account = BankAccount.objects.get(user=me)
    assert (account.holder_name, account.iban, account.bic) == (
        "Jane Doe",
        "GB29NWBK60161331926819",
        "NWBKGB2LXXX",
    )  # filled from the IBAN


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"iban": "GB29 NWBK 6016 1331 9268 18", "bic": ""}, "iban", "Not a valid IBAN"),
        ({"iban": "XX00", "bic": ""}, "iban", "Not a valid IBAN"),
        ({"iban": "", "bic": ""}, "iban", "This field is required"),
        ({"iban": "GB29 NWBK 6016 1331 9268 19", "bic": "NOTABIC!"}, "bic", "Not a valid BIC"),
        ({"iban": "GB29 NWBK 6016 1331 9268 19", "bic": "COBADEFFXXX"}, "bic", "is not the bank of this IBAN"),
    ],
)
def test_a_wrong_iban_or_bic_is_shown_next_to_the_field_and_nothing_is_written(
    web_client, make_user, values, field, words
):
    me = make_user()
    answer = web_client(me).post(ADD, {"holder_name": "Jane Doe", **values})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert words in html
    assert f'id="id_{field}_error"' in html  # next to the field
    assert "There is a problem" in html  # and in the summary
    assert not BankAccount.objects.exists()


def test_the_same_iban_twice_is_refused(web_client, make_user, saved_account):
    me = make_user()
    saved_account(me)
    answer = web_client(me).post(ADD, {"holder_name": "Jane Doe", "iban": "GB29NWBK60161331926819"})
    assert answer.status_code == 200 and "already saved" in answer.content.decode()
    assert BankAccount.objects.filter(user=me).count() == 1


def test_delete_asks_first_then_deletes(web_client, make_user, saved_account):
    me = make_user()
    account = saved_account(me)
    client = web_client(me)
    url = reverse("bank:delete", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Delete this bank account?" in page.content.decode()
    assert BankAccount.objects.filter(pk=account.pk).exists()
    answer = client.post(url)
    assert answer.status_code == 302 and answer["Location"] == LIST
    assert not BankAccount.objects.filter(pk=account.pk).exists()


def test_delete_is_refused_while_a_payout_to_it_is_under_way(web_client, make_user, saved_account):
    me = make_user(balance="50.00")
    account = saved_account(me)
    external_transaction_create(
        user=me,
        transaction_type="WITHDRAWAL",
        amount=Decimal("20.00"),
        provider="bank",
        metadata={"bank_account_id": account.pk},
    )
    client = web_client(me)
    answer = client.post(reverse("bank:delete", args=[account.pk]), follow=True)
    assert answer.status_code == 200
    assert "still under way" in answer.content.decode()
    assert BankAccount.objects.filter(pk=account.pk).exists()


def test_another_users_account_is_a_404(web_client, make_user, saved_account):
    me, other = make_user(), make_user()
    theirs = saved_account(other)
    client = web_client(me)
    url = reverse("bank:delete", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert BankAccount.objects.filter(pk=theirs.pk).exists()


def test_the_pages_need_a_login(client):
    assert client.get(LIST).status_code == 302
    assert client.post(ADD, {"holder_name": "x", "iban": "GB29NWBK60161331926819"}).status_code == 302
    assert not BankAccount.objects.exists()
