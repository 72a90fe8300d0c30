"""Saved bank accounts: schwifty validation, own accounts only, deletion refused while a payout
to the account is under way."""

import pytest

from comrade.bank.models import BankAccount
from comrade.bank.tests.conftest import GOOD

URL = "/payments/bank-accounts/"


@pytest.mark.parametrize("country", ["DE", "GB", "NL", "FR"])
def test_good_ibans_are_saved_in_electronic_format(api, user, country):
    iban, bic = GOOD[country]
    response = api.post(URL, {"holder_name": "  Jane   Doe ", "iban": iban.lower(), "bic": bic}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["iban"] == iban.replace(" ", "")
    assert body["holder_name"] == "Jane Doe"
    assert BankAccount.objects.get(user=user).iban == iban.replace(" ", "")


def test_blank_bic_is_filled_from_the_iban_where_known(api):
    response = api.post(URL, {"holder_name": "Jane", "iban": GOOD["DE"][0]}, format="json")
    assert response.status_code == 201
    assert response.json()["bic"] == "COBADEFFXXX"


@pytest.mark.parametrize(
    ("iban", "bic", "field"),
    [
        ("DE89370400440532013001", "COBADEFFXXX", "iban"),  # wrong checksum
        ("DE8937040044053201300", "COBADEFFXXX", "iban"),  # wrong length for Germany
        ("GB29NWBK6016133192681", "NWBKGB2L", "iban"),  # wrong length for the UK
        ("XX89370400440532013000", "COBADEFFXXX", "iban"),  # no such country
        ("", "COBADEFFXXX", "iban"),
        ("DE89370400440532013000", "NWBKGB2L", "bic"),  # another country's bank
        ("DE89370400440532013000", "DEUTDEFF", "bic"),  # another German bank
        ("DE89370400440532013000", "XX1", "bic"),  # not a BIC
    ],
)
def test_bad_iban_or_bic_is_400_naming_the_field_and_saves_nothing(api, iban, bic, field):
    response = api.post(URL, {"holder_name": "Jane", "iban": iban, "bic": bic}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not BankAccount.objects.exists()


@pytest.mark.parametrize("name", [" ", "x" * 71, "\U0001f600"])
def test_missing_long_or_unwritable_holder_name_is_400(api, name):
    response = api.post(URL, {"holder_name": name, "iban": GOOD["NL"][0], "bic": GOOD["NL"][1]}, format="json")
    assert response.status_code == 400
    assert "holder_name" in response.json()["fields"]
    assert not BankAccount.objects.exists()


def test_a_non_latin_name_is_saved_and_written_in_latin_script(api, user, saved_account, withdraw):
    from comrade.bank.formats import pain001
    from comrade.bank.services.export import payment_files_export

    saved_account(user, "DE", name="Jürgen Müller-Łukasz")
    assert withdraw(api, "5.00").status_code == 201
    parsed = pain001.parse(payment_files_export()[0].xml.encode())
    assert parsed.transfers[0].creditor_name == "Jurgen Muller-Lukasz"


def test_same_iban_twice_is_400(api):
    body = {"holder_name": "Jane", "iban": GOOD["NL"][0], "bic": GOOD["NL"][1]}
    assert api.post(URL, body, format="json").status_code == 201
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert "iban" in response.json()["fields"]
    assert BankAccount.objects.count() == 1


def test_list_shows_own_accounts_only_and_another_users_is_404(api, user, make_user, client_for, saved_account):
    mine = saved_account(user, "GB")
    other_user = make_user()
    theirs = saved_account(other_user, "NL")
    listed = api.get(URL).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [mine.pk]
    assert api.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert BankAccount.objects.filter(pk=theirs.pk).exists()
    assert client_for(other_user).delete(f"{URL}{theirs.pk}/").status_code == 204
    assert not BankAccount.objects.filter(pk=theirs.pk).exists()


def test_anonymous_is_refused(client_for):
    assert client_for().get(URL).status_code in (401, 403)


def test_delete_is_refused_while_a_payout_to_it_is_in_flight(api, user, saved_account, withdraw):
    account = saved_account(user)
    assert withdraw(api, "10.00").status_code == 201
    response = api.delete(f"{URL}{account.pk}/")
    assert response.status_code == 400
    assert response.json()["code"] == "payout_in_flight"
    assert BankAccount.objects.filter(pk=account.pk).exists()
