"""Wiring, status codes and access of the incoming bank endpoints."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from comrade.bank.models import BankException
from comrade.bank.tests.incoming import OTHER_IBAN, configure, reference_of, rows, sample_file
from comrade.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db
STATEMENTS = "/payments/bank/statements/"
EXCEPTIONS = "/payments/bank/exceptions/"


@pytest.fixture(autouse=True)
def bank(settings):
    configure(settings)


@pytest.fixture
def staff_api(staff_with_otp, client_for):
    staff = staff_with_otp()
    return client_for(staff, otp=True)


def upload(client, data: bytes, name: str = "statement.xml"):
    return client.post(STATEMENTS, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def balance(user) -> Decimal:
    return LedgerAccount.objects.get(profile__user=user).balance


def test_bank_details_show_our_account_and_my_wallet_reference(user, api):
    response = api.get("/payments/payment-profiles/bank_details/")
    assert response.status_code == 200
    assert response.json() == {
        "account_name": "Comrade Pay GmbH",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "reference": reference_of(user),
        "currency": "EUR",
    }


def test_bank_details_are_404_when_bank_transfers_are_not_configured(api, settings, client_for):
    settings.BANK_ACCOUNT_IBAN = ""
    response = api.get("/payments/payment-profiles/bank_details/")
    assert response.status_code == 404 and response.json()["code"] == "bank_transfers_disabled"
    assert client_for().get("/payments/payment-profiles/bank_details/").status_code == 401


def test_staff_upload_a_statement_and_work_the_queue(staff_api, make_user):
    erika, hans = make_user(), make_user()
    response = upload(staff_api, sample_file("camt053_v08.xml", {1001: erika, 1002: hans}))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("kind", "lines", "created", "duplicate", "credited", "exceptions")} == {
        "kind": "camt.053",
        "lines": 4,
        "created": 4,
        "duplicate": 0,
        "credited": 2,
        "exceptions": 2,
    }
    again = upload(staff_api, sample_file("camt053_v08.xml", {1001: erika, 1002: hans})).json()
    assert (again["created"], again["duplicate"], again["credited"]) == (0, 4, 0)
    assert balance(erika) == Decimal("150.00")

    queue = staff_api.get(EXCEPTIONS).json()["results"]
    credit = next(item for item in queue if item["entry"]["direction"] == "CRDT")
    debit = next(item for item in queue if item["entry"]["direction"] == "DBIT")
    assert credit["entry"]["amount"] == "25.00" and credit["reason"] == "no_reference"

    assigned = staff_api.post(f"{EXCEPTIONS}{credit['id']}/assign/", {"user_id": hans.pk}, format="json")
    assert assigned.status_code == 200 and assigned.json()["status"] == "ASSIGNED"
    assert balance(hans) == Decimal("67.25")
    twice = staff_api.post(f"{EXCEPTIONS}{credit['id']}/assign/", {"user_id": hans.pk}, format="json")
    assert twice.status_code == 409 and balance(hans) == Decimal("67.25")

    refused = staff_api.post(f"{EXCEPTIONS}{debit['id']}/return/", {"reason": "x"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "not_returnable"
    dismissed = staff_api.post(f"{EXCEPTIONS}{debit['id']}/dismiss/", {"note": "bank fee"}, format="json")
    assert dismissed.status_code == 200 and dismissed.json()["note"] == "bank fee"

    assert staff_api.get(EXCEPTIONS).json()["results"] == []
    decided = staff_api.get(EXCEPTIONS, {"status": "all"}).json()["results"]
    assert {item["status"] for item in decided} == {"ASSIGNED", "DISMISSED"}
    assert staff_api.get(STATEMENTS).json()["count"] == 2


def test_return_needs_a_reason_and_assign_a_valid_user(staff_api):
    upload(staff_api, sample_file("camt053_v08.xml"))
    exception = BankException.objects.filter(entry__direction="CRDT").first()
    before = rows()
    assert staff_api.post(f"{EXCEPTIONS}{exception.pk}/return/", {}, format="json").status_code == 400
    assert staff_api.post(f"{EXCEPTIONS}{exception.pk}/assign/", {"user_id": "x"}, format="json").status_code == 400
    assert staff_api.post(f"{EXCEPTIONS}{exception.pk}/assign/", {"user_id": 10**30}, format="json").status_code == 400
    assert staff_api.post(f"{EXCEPTIONS}999999/assign/", {"user_id": 1}, format="json").status_code == 404
    assert rows() == before
    marked = staff_api.post(f"{EXCEPTIONS}{exception.pk}/return/", {"reason": "no such customer"}, format="json")
    assert marked.json()["status"] == "RETURNED" and rows()["balances"] == before["balances"]


BAD_UPLOADS = {
    "malformed": (b"<Document><BkToCstmrStmt>", "malformed_xml"),
    "bomb": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Document>&b;</Document>',
        "unsafe_xml",
    ),
    "other-account": (
        sample_file("camt053_v08.xml").replace(b"DE89370400440532013000", OTHER_IBAN.encode()),
        "wrong_account",
    ),
    "usd": (sample_file("camt054_v02.xml").replace(b'Ccy="EUR"', b'Ccy="USD"'), "wrong_currency"),
    "three-decimals": (sample_file("camt054_v02.xml").replace(b">60.00<", b">60.001<"), "invalid_amount"),
    "empty": (b"", "empty_file"),
}


@pytest.mark.parametrize("name", BAD_UPLOADS)
def test_bad_files_get_a_clear_400_and_change_nothing(staff_api, make_user, name):
    make_user(balance="10.00")
    data, code = BAD_UPLOADS[name]
    before = rows()
    response = upload(staff_api, data)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code and response.json()["message"], response.json()
    assert rows() == before


def test_a_file_over_the_cap_is_refused_before_it_is_read(staff_api, settings):
    settings.BANK_STATEMENT_MAX_BYTES = 100
    response = upload(staff_api, b"<" + b"x" * 200)
    assert response.status_code == 400 and response.json()["code"] == "file_too_large"
    assert upload(staff_api, b"").status_code == 400
    assert rows()["statements"] == 0


def test_only_staff_with_a_one_time_password_may_import_or_decide(make_user, client_for, staff_with_otp):
    data = sample_file("camt053_v08.xml")
    assert upload(client_for(make_user()), data).status_code == 403
    staff_without_otp = client_for(staff_with_otp())
    assert upload(staff_without_otp, data).status_code == 403
    assert staff_without_otp.get(EXCEPTIONS).status_code == 403
    assert client_for(make_user()).get(EXCEPTIONS).status_code == 403
    assert upload(client_for(), data).status_code == 401
    assert rows()["statements"] == 0


def test_a_bank_deposit_shows_in_the_users_transactions(staff_api, make_user, client_for):
    erika = make_user()
    upload(staff_api, sample_file("camt053_v02.xml", {1001: erika}))
    mine = client_for(erika).get("/payments/transactions/")
    assert mine.status_code == 200
    (deposit,) = mine.json()["results"]
    assert (deposit["transaction_type"], deposit["status"], deposit["amount"]) == ("DEPOSIT", "COMPLETED", "100.00")
    assert deposit["external_payment_provider"] == "bank"
    assert client_for(erika).get(f"/payments/transactions/{deposit['id']}/").status_code == 200
