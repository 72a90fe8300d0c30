"""The export job: one pain.001 per execution date, each payout in exactly one file, files that
validate against the XSD and carry our references and the right sums."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import xmlschema
from django.db import connection
from django.utils import timezone
from sepaxml.validation import try_valid_xml

from comrade.bank.formats import pain001
from comrade.bank.models import PaymentFile, PaymentFileEntry
from comrade.bank.services.export import bank_payments_export, end_to_end_id, payment_files_export
from comrade.bank.tests.conftest import PLATFORM_IBAN, holding, ledger_clean
from comrade.core import jobs
from comrade.ledger.selectors import balance_of

FILES_URL = "/payments/bank/payment-files/"


@pytest.fixture
def three_payouts(api, user, saved_account, withdraw):
    saved_account(user, "GB")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    tokens = [
        withdraw(api, "10.00").json()["token"],
        withdraw(api, "20.50").json()["token"],
        withdraw(api, "5.25", execution_date=tomorrow).json()["token"],
    ]
    return tokens


def test_the_job_is_registered():
    assert jobs.get("export_bank_payments").run is bank_payments_export


def test_export_groups_by_execution_date_and_never_files_a_payout_twice(three_payouts, user):
    files = payment_files_export()
    assert [(f.execution_date - timezone.localdate()).days for f in files] == [0, 1]
    assert [f.transaction_count for f in files] == [2, 1]
    assert [f.control_sum for f in files] == [Decimal("30.50"), Decimal("5.25")]
    assert payment_files_export() == []  # run again: nothing new
    assert bank_payments_export(timezone.now()) == 0
    assert PaymentFileEntry.objects.count() == 3
    assert sorted(PaymentFileEntry.objects.values_list("end_to_end_id", flat=True)) == sorted(
        end_to_end_id(t) for t in three_payouts
    )
    # exporting moves no money: still held
    assert balance_of(user) == Decimal("64.25")
    assert holding() == Decimal("35.75")
    assert ledger_clean()


def test_a_new_payout_goes_into_a_new_file(api, three_payouts, withdraw):
    payment_files_export()
    withdraw(api, "1.00")
    files = payment_files_export()
    assert len(files) == 1 and files[0].transaction_count == 1
    assert PaymentFile.objects.count() == 3


def test_the_file_validates_and_reads_back(three_payouts):
    today_file = payment_files_export()[0]
    data = today_file.xml.encode()
    try_valid_xml(data, "pain.001.001.09")  # sepaxml's own XSD check, again
    schema = xmlschema.XMLSchema(__import__("sepaxml").__path__[0] + "/schemas/pain.001.001.09.xsd")
    assert schema.is_valid(data)
    parsed = pain001.parse(data)
    assert parsed.message_id == today_file.message_id
    assert parsed.currency == "EUR" and parsed.debtor_iban == PLATFORM_IBAN
    assert parsed.execution_date == timezone.localdate()
    assert [t.end_to_end_id for t in parsed.transfers] == [end_to_end_id(t) for t in three_payouts[:2]]
    assert all(len(t.end_to_end_id) <= 35 for t in parsed.transfers)
    assert [t.amount for t in parsed.transfers] == [Decimal("10.00"), Decimal("20.50")]
    assert parsed.control_sum == sum(t.amount for t in parsed.transfers) == Decimal("30.50")
    assert parsed.transfers[0].creditor_iban == "GB29NWBK60161331926819"
    assert parsed.transfers[0].creditor_name == "Jane Doe"
    assert b"<Cd>SEPA</Cd>" in data


def test_a_non_eur_deployment_gets_a_generic_pain001(api, user, saved_account, withdraw, settings):
    settings.DEFAULT_CURRENCY = "USD"
    saved_account(user)
    assert withdraw(api, "12.34").status_code == 201
    payment_file = payment_files_export()[0]
    data = payment_file.xml.encode()
    try_valid_xml(data, "pain.001.001.09")
    assert payment_file.currency == "USD"
    assert b"<Cd>SEPA</Cd>" not in data and b'<InstdAmt Ccy="USD">12.34</InstdAmt>' in data


def test_held_payouts_that_ended_are_not_exported(api, user, saved_account, withdraw):
    from comrade.gateways.models import ExternalPayment
    from comrade.gateways.providers.base import PaymentStatus
    from comrade.gateways.services.answers import ProviderAnswer, answer_apply

    saved_account(user)
    token = withdraw(api, "10.00").json()["token"]
    payment = ExternalPayment.objects.get(transaction__token=token)
    answer_apply(payment=payment, answer=ProviderAnswer(direction="OUT", status=PaymentStatus.FAILED))
    assert payment_files_export() == []


def test_staff_list_and_download_files_others_cannot(three_payouts, api, staff_with_otp, client_for, make_user):
    payment_files_export()
    staff_user = staff_with_otp()
    staff = client_for(staff_user, otp=True)
    listed = staff.get(FILES_URL).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert len(rows) == 2
    first = next(r for r in rows if r["transaction_count"] == 2)
    assert {e["token"] for e in first["entries"]} == set(three_payouts[:2])
    response = staff.get(f"{FILES_URL}{first['id']}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert pain001.parse(response.content).message_id == first["message_id"]
    assert PaymentFile.objects.get(pk=first["id"]).status == "DOWNLOADED"
    # a user, and staff without a one-time password, are refused
    assert api.get(FILES_URL).status_code == 403
    assert api.get(f"{FILES_URL}{first['id']}/download/").status_code == 403
    assert client_for(staff_user).get(FILES_URL).status_code == 403


def test_admin_shows_the_file_and_downloads_it_after_otp(three_payouts, make_user):
    from django.test import Client

    from comrade.accounts.tests.otp import verify_session

    payment_file = payment_files_export()[0]
    admin = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    url = f"/admin/bank/paymentfile/{payment_file.pk}/download/"
    assert client.get(url).status_code == 302  # no one-time password yet: to the login page
    verify_session(client, admin)
    page = client.get(f"/admin/bank/paymentfile/{payment_file.pk}/change/")
    assert page.status_code == 200
    assert url.encode() in page.content
    assert end_to_end_id(three_payouts[0]).encode() in page.content
    response = client.get(url)
    assert response.status_code == 200
    assert pain001.parse(response.content).message_id == payment_file.message_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_exports_racing_file_each_payout_once(make_user, client_for, saved_account, withdraw):
    assert connection.vendor == "postgresql"
    user = make_user(balance="100.00")
    client = client_for(user)
    saved_account(user)
    for amount in ("1.00", "2.00", "3.00", "4.00", "5.00"):
        assert withdraw(client, amount).status_code == 201
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            payment_files_export()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PaymentFileEntry.objects.count() == 5
    assert PaymentFileEntry.objects.values("payment").distinct().count() == 5
    assert sum(PaymentFile.objects.values_list("transaction_count", flat=True)) == 5
    assert ledger_clean()
