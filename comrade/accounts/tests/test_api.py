import pytest
from rest_framework.test import APIClient

from comrade.accounts.models import User
from comrade.accounts.tests.otp import current_code, device_of
from comrade.ledger.models import PaymentProfile

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"


def register(client, **overrides):
    body = {"email": "Ann@Example.com", "password": "a-Long-pass-123", "first_name": "Ann", "last_name": "Lee"}
    return client.post(REGISTER, {**body, **overrides}, format="json")


def test_register_creates_user_with_exactly_one_wallet():
    response = register(APIClient())
    assert response.status_code == 201, response.data
    assert response.data["email"] == "ann@example.com"
    user = User.objects.get(email="ann@example.com")
    assert PaymentProfile.objects.filter(user=user).count() == 1
    assert user.payment_profile.account.balance == 0
    assert "password" not in response.data


def test_register_refuses_duplicate_email_and_weak_password():
    client = APIClient()
    register(client)
    duplicate = register(client, email="ANN@example.com")
    assert duplicate.status_code == 400
    assert duplicate.data["code"] == "validation_error"
    assert "email" in duplicate.data["fields"]
    weak = register(client, email="bob@example.com", password="123")
    assert weak.status_code == 400
    assert "password" in weak.data["fields"]
    assert User.objects.count() == 1


def test_register_missing_fields_names_them():
    response = APIClient().post(REGISTER, {"email": "x@example.com"}, format="json")
    assert response.status_code == 400
    assert {"password", "first_name", "last_name"} <= set(response.data["fields"])


def test_token_obtain_refresh_and_bearer_auth():
    client = APIClient()
    register(client)
    tokens = client.post("/api/auth/token/", {"email": "ann@example.com", "password": "a-Long-pass-123"}, format="json")
    assert tokens.status_code == 200
    assert {"access", "refresh"} <= set(tokens.data)
    refreshed = client.post("/api/auth/token/refresh/", {"refresh": tokens.data["refresh"]}, format="json")
    assert refreshed.status_code == 200 and "access" in refreshed.data
    assert client.get("/payments/payment-profiles/balance/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.data['access']}")
    response = client.get("/payments/payment-profiles/balance/")
    assert response.status_code == 200
    assert response.data == {"balance": "0.00"}


def test_wrong_password_gets_401_in_the_error_shape():
    client = APIClient()
    register(client)
    response = client.post("/api/auth/token/", {"email": "ann@example.com", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.data["code"] and response.data["message"]


def test_session_login_works_for_browsable_api_and_superuser_has_wallet():
    admin = User.objects.create_superuser("root@example.com", "root-Pass-123")
    assert PaymentProfile.objects.filter(user=admin).exists()
    client = APIClient()
    credentials = {"username": "root@example.com", "password": "root-Pass-123"}
    login = client.post("/api-auth/login/", credentials, format="multipart")
    assert login.status_code == 302
    assert client.get("/payments/payment-profiles/").status_code == 200
    assert client.get("/admin/ledger/transactiontoken/").status_code == 302  # the admin also wants OTP
    verified = client.post("/api/auth/otp/verify/", {"otp_token": current_code(device_of(admin))})
    assert verified.status_code == 200 and verified.data["otp_verified"] is True
    assert client.get("/admin/ledger/transactiontoken/").status_code == 200
