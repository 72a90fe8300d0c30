"""Staff two-factor: the admin and the money-creating staff actions need a passed one-time
password, not only a staff password (docs/operations-logins.md)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from comrade.accounts.models import User
from comrade.accounts.tests.otp import current_code, device_of, verify_session
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

PASSWORD = "staff-Pass-123"


@pytest.fixture
def staff(db):
    return User.objects.create_user("staff@example.com", PASSWORD, is_staff=True)


def fund_url(user) -> str:
    return f"/payments/payment-profiles/{user.payment_profile.pk}/fund/"


def jwt_client(otp_token: str | None = None) -> APIClient:
    body = {"email": "staff@example.com", "password": PASSWORD}
    if otp_token is not None:
        body["otp_token"] = otp_token
    tokens = APIClient().post("/api/auth/token/", body)
    assert tokens.status_code == 200, tokens.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    client.refresh_token = tokens.json()["refresh"]
    return client


def assert_fund_refused_without_change(client, user, code="otp_required"):
    response = client.post(fund_url(user), {"amount": "50.00"})
    assert response.status_code == 403 and response.json()["code"] == code
    assert balance_of(user) == Decimal("100.00")
    assert not TransactionToken.objects.filter(transaction_type="FUNDING", amount=Decimal("50.00")).exists()


def test_fund_refuses_staff_without_otp(staff, user, client_for):
    device_of(staff)
    assert_fund_refused_without_change(client_for(staff), user)
    assert_fund_refused_without_change(jwt_client(), user)


def test_fund_works_with_a_token_issued_with_otp_and_after_refresh(staff, user):
    client = jwt_client(current_code(device_of(staff)))
    assert client.post(fund_url(user), {"amount": "50.00"}).status_code == 201
    assert balance_of(user) == Decimal("150.00")

    refreshed = APIClient().post("/api/auth/token/refresh/", {"refresh": client.refresh_token}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed['access']}")
    assert client.post(fund_url(user), {"amount": "1.00"}).status_code == 201
    assert balance_of(user) == Decimal("151.00")


def test_deleting_the_device_revokes_its_tokens(staff, user):
    device = device_of(staff)
    client = jwt_client(current_code(device))
    device.delete()
    response = client.post(fund_url(user), {"amount": "50.00"})
    assert response.status_code == 403 and response.json()["code"] == "otp_required"
    assert balance_of(user) == Decimal("100.00")


def test_a_wrong_otp_gets_no_token(staff):
    device_of(staff)
    response = APIClient().post("/api/auth/token/", {"email": staff.email, "password": PASSWORD, "otp_token": "000000"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_otp"
    assert "access" not in response.json() and "otp_token" in response.json()["fields"]


def test_an_otp_claim_does_not_make_a_user_staff(make_user, user, client_for):
    other = make_user()
    response = client_for(other, otp=True).post(fund_url(user), {"amount": "50.00"})
    assert response.status_code == 403 and response.json()["code"] != "otp_required"
    assert balance_of(user) == Decimal("100.00")


def test_a_session_verifies_otp_through_the_endpoint(staff, user):
    client = APIClient()
    client.post("/api-auth/login/", {"username": staff.email, "password": PASSWORD}, format="multipart")
    assert_fund_refused_without_change(client, user)
    wrong = client.post("/api/auth/otp/verify/", {"otp_token": "000000"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_otp"
    assert_fund_refused_without_change(client, user)
    assert client.post("/api/auth/otp/verify/", {"otp_token": current_code(device_of(staff))}).status_code == 200
    assert client.post(fund_url(user), {"amount": "50.00"}).status_code == 201
    assert balance_of(user) == Decimal("150.00")


def test_the_admin_requires_otp(db):
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302
    verify_session(client, admin)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_form_asks_for_the_otp(db):
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    device = device_of(admin)
    client = Client()
    without = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert without.status_code == 200 and client.get("/admin/").status_code == 302
    login = {"username": admin.email, "password": PASSWORD, "otp_device": device.persistent_id}
    with_otp = client.post("/admin/login/", {**login, "otp_token": current_code(device)})
    assert with_otp.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_otp_enrol_prints_the_uri_and_backup_codes_that_work_once(staff, user):
    out = StringIO()
    call_command("otp_enrol", "STAFF@example.com", "--backup-codes", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("otpauth://totp/Comrade%20Pay%3Astaff%40example.com?secret=")
    assert TOTPDevice.objects.get(user=staff).confirmed
    code = lines[1].removeprefix("backup code: ")
    assert jwt_client(code).post(fund_url(user), {"amount": "5.00"}).status_code == 201
    again = APIClient().post("/api/auth/token/", {"email": staff.email, "password": PASSWORD, "otp_token": code})
    assert again.status_code == 400


def test_otp_enrol_is_for_staff_only(make_user):
    with pytest.raises(CommandError, match="not staff"):
        call_command("otp_enrol", make_user().email, stdout=StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("otp_enrol", "nobody@example.com", stdout=StringIO())
