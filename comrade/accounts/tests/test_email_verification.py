"""Email verification: the link sent at registration, the JSON and HTML ways to use it, resending."""

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail, signing
from django.core.cache import cache
from rest_framework.test import APIClient

from comrade.accounts.models import User
from comrade.accounts.services import email_verification_token
from comrade.accounts.tests.factories import UserFactory
from comrade.accounts.tests.otp import verify_session

pytestmark = pytest.mark.django_db

VERIFY = "/api/auth/verify-email/"
RESEND = "/api/auth/verify-email/resend/"
BODY = {"email": "Ann@Example.com", "password": "a-Long-pass-123", "first_name": "Ann", "last_name": "Lee"}


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registered(django_capture_on_commit_callbacks):
    """Registers Ann through the API and returns (user, the link from her email)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post("/api/auth/register/", BODY, format="json")
    assert response.status_code == 201, response.data
    assert response.data["email_verified"] is False
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    return User.objects.get(email="ann@example.com"), link


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def old_token(user, hours: int) -> str:
    """A token signed `hours` ago (the signer's clock moved back, nothing else)."""
    real = signing.TimestampSigner.timestamp
    signing.TimestampSigner.timestamp = lambda self: signing.b62_encode(int(time.time()) - hours * 3600)
    try:
        return email_verification_token(user)
    finally:
        signing.TimestampSigner.timestamp = real


def test_registration_emails_a_link_to_the_site_and_leaves_the_user_unverified(registered, settings):
    user, link = registered

    assert mail.outbox[0].to == ["ann@example.com"]
    assert link.startswith(f"{settings.SITE_URL}/accounts/verify-email/?token=")  # the web app's page
    assert user.email_verified_at is None


def test_posting_the_token_verifies_and_a_second_time_is_fine(registered):
    user, link = registered
    client = APIClient()

    first = client.post(VERIFY, {"token": token_of(link)}, format="json")
    user.refresh_from_db()
    verified_at = user.email_verified_at
    second = client.post(VERIFY, {"token": token_of(link)}, format="json")
    user.refresh_from_db()

    assert first.status_code == 200, first.data
    assert first.data["email"] == "ann@example.com" and first.data["email_verified"] is True
    assert second.status_code == 200 and second.data["email_verified"] is True
    assert verified_at is not None and user.email_verified_at == verified_at


def test_opening_the_link_verifies_and_shows_a_page(registered, settings):
    user, link = registered

    response = APIClient().get(link.removeprefix(settings.SITE_URL))

    user.refresh_from_db()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Email address verified" in response.content and b"ann@example.com" in response.content
    assert user.email_verified


def test_a_bad_link_shows_a_page_with_the_reason_and_verifies_nothing(registered):
    user, link = registered

    response = APIClient().get(VERIFY, {"token": token_of(link) + "x"})

    user.refresh_from_db()
    assert response.status_code == 400
    assert b'data-code="invalid_token"' in response.content
    assert user.email_verified_at is None


@pytest.mark.parametrize("token", ["", "nonsense", "a:b:c", "é:é:é", "x" * 999])
def test_tampered_or_foreign_tokens_are_invalid_token(registered, token):
    user, link = registered

    response = APIClient().post(VERIFY, {"token": token}, format="json")

    user.refresh_from_db()
    assert response.status_code == 400
    assert response.data["code"] in ("invalid_token", "validation_error")
    assert response.data["code"] == ("validation_error" if token == "" else "invalid_token")
    assert user.email_verified_at is None


def test_a_token_signed_with_another_salt_or_key_is_invalid(registered):
    user, _ = registered
    other = signing.TimestampSigner(salt="something-else").sign_object({"user": user.pk, "email": user.email})

    response = APIClient().post(VERIFY, {"token": other}, format="json")

    assert (response.status_code, response.data["code"]) == (400, "invalid_token")
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_an_expired_token_is_token_expired(registered, settings):
    user, _ = registered
    settings.EMAIL_VERIFICATION_MAX_AGE_HOURS = 72

    expired = APIClient().post(VERIFY, {"token": old_token(user, hours=73)}, format="json")
    user.refresh_from_db()
    assert (expired.status_code, expired.data["code"]) == (400, "token_expired")
    assert "token" in expired.data["fields"]
    assert user.email_verified_at is None

    still_good = APIClient().post(VERIFY, {"token": old_token(user, hours=71)}, format="json")
    assert still_good.status_code == 200


def test_a_link_for_an_address_the_user_no_longer_has_is_invalid(registered):
    user, link = registered
    User.objects.filter(pk=user.pk).update(email="new@example.com")

    response = APIClient().post(VERIFY, {"token": token_of(link)}, format="json")

    assert (response.status_code, response.data["code"]) == (400, "invalid_token")
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_resend_needs_a_login():
    assert APIClient().post(RESEND).status_code == 401


def test_resend_sends_a_new_working_link(django_capture_on_commit_callbacks):
    user = UserFactory(email_verified_at=None)
    client = APIClient()
    client.force_authenticate(user)

    response = client.post(RESEND)

    assert response.status_code == 200, response.data
    assert response.data["email"] == user.email
    assert [m.to for m in mail.outbox] == [[user.email]]
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    assert APIClient().post(VERIFY, {"token": token_of(link)}, format="json").status_code == 200
    user.refresh_from_db()
    assert user.email_verified


def test_resend_when_already_verified_is_400_and_sends_nothing():
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.post(RESEND)

    assert (response.status_code, response.data["code"]) == (400, "already_verified")
    assert mail.outbox == []


def test_resend_is_throttled(settings):
    settings.EMAIL_VERIFICATION_RESEND_RATE = "2/hour"
    client = APIClient()
    client.force_authenticate(UserFactory(email_verified_at=None))

    codes = [client.post(RESEND).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_the_user_json_shows_email_verified_without_changing_the_other_fields():
    user = UserFactory(email_verified_at=None)
    client = APIClient()
    client.force_authenticate(user)

    shown = client.get("/payments/payment-profiles/my_profile/").data["user"]

    assert set(shown) == {"id", "email", "first_name", "last_name", "email_verified"}
    assert shown["email_verified"] is False


def test_a_factory_or_demo_user_created_verified_gets_no_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory()
        unverified = UserFactory(email_verified_at=None)

    assert [m.to for m in mail.outbox] == [[unverified.email]]


def test_seed_demo_users_are_verified(django_capture_on_commit_callbacks, settings):
    from django.core.management import call_command

    settings.DEBUG = True  # seed_demo runs only in development mode
    from comrade.core.management.commands.seed_demo import DEMO_USERS

    User.objects.create_user("alice@comrade.local", "x-Long-pass-123")  # made before verification existed
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    emails = [row[1] for row in DEMO_USERS]
    assert User.objects.filter(email__in=emails, email_verified_at__isnull=False).count() == len(emails)


def test_changing_the_email_in_the_admin_resets_verification(client, django_capture_on_commit_callbacks):
    admin = User.objects.create_superuser("root@example.com", "root-Pass-123")
    user = UserFactory(email="old@example.com")
    verify_session(client, admin)
    form = client.get(f"/admin/accounts/user/{user.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        email="new@example.com",
        date_joined_0=user.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=user.date_joined.strftime("%H:%M:%S"),
        groups=[],
        user_permissions=[],
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/accounts/user/{user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert (user.email, user.email_verified_at) == ("new@example.com", None)
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_the_schema_documents_the_endpoints():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    verify = paths["/api/auth/verify-email/"]
    request_ref = verify["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert list(components[request_ref.rsplit("/", 1)[1]]["properties"]) == ["token"]
    assert "200" in verify["post"]["responses"] and "400" in verify["post"]["responses"]
    assert "text/html" in verify["get"]["responses"]["200"]["content"]
    assert [p["name"] for p in verify["get"]["parameters"]] == ["token"]
    resend = paths["/api/auth/verify-email/resend/"]["post"]
    assert set(resend["responses"]) >= {"200", "400", "429"}
    assert components["User"]["properties"]["email_verified"]["readOnly"] is True
    error = verify["post"]["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[error.rsplit("/", 1)[1]]["properties"]) == {"code", "message", "fields"}
