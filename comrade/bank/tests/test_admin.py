from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from comrade.accounts.tests.otp import verify_session
from comrade.bank.models import BankException, BankStatement
from comrade.bank.tests.incoming import configure, rows, sample_file
from comrade.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/bank/bankstatement/upload/"


@pytest.fixture
def admin_client(settings, make_user):
    configure(settings)
    client = Client()
    verify_session(client, make_user(is_staff=True, is_superuser=True))
    return client


def test_staff_upload_a_statement_in_the_admin_and_see_its_entries(admin_client, make_user):
    erika = make_user()
    assert admin_client.get("/admin/bank/bankstatement/").status_code == 200
    assert admin_client.get(UPLOAD).status_code == 200
    data = sample_file("camt053_v02.xml", {1001: erika})
    response = admin_client.post(UPLOAD, {"file": SimpleUploadedFile("s.xml", data)})
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/bankstatement/{statement.pk}/change/")
    assert statement.source == "admin" and statement.credited == 1
    page = admin_client.get(response.url).content.decode()
    assert "COBA2026120100011" in page and "COBA2026120100012" in page


def test_a_bad_file_is_shown_next_to_the_field_and_writes_nothing(admin_client):
    before = rows()
    response = admin_client.post(UPLOAD, {"file": SimpleUploadedFile("s.xml", b"<Document>")})
    assert response.status_code == 200 and "not well-formed XML" in response.content.decode()
    assert rows() == before


def test_staff_decide_an_exception_in_the_admin(admin_client, make_user):
    hans = make_user()
    admin_client.post(UPLOAD, {"file": SimpleUploadedFile("s.xml", sample_file("camt053_v08.xml"))})
    credit = BankException.objects.get(entry__entry_reference="2026113000003")
    assert "decide" in admin_client.get("/admin/bank/bankexception/").content.decode()
    url = f"/admin/bank/bankexception/{credit.pk}/decide/"
    assert admin_client.get(url).status_code == 200
    missing_user = admin_client.post(url, {"decision": "assign"})
    assert missing_user.status_code == 200 and "Give the id" in missing_user.content.decode()
    assert admin_client.post(url, {"decision": "assign", "user_id": hans.pk}).status_code == 302
    credit.refresh_from_db()
    assert credit.status == "ASSIGNED" and credit.decided_by.is_staff
    assert LedgerAccount.objects.get(profile__user=hans).balance == Decimal("25.00")


def test_the_admin_wants_a_one_time_password(settings, make_user):
    configure(settings)
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(UPLOAD).status_code == 302
