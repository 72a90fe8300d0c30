"""The auth pages with Django's test client: sign up, verify, log in and out, password reset, and
bad values on every form (a message next to the field, nothing written, never a 500)."""

import re
import time

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client

from comrade.accounts.models import User
from comrade.accounts.services import email_verification_token
from comrade.ledger.models import PaymentProfile as Wallet

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
CHECK = "/accounts/check-email/"
VERIFY = "/accounts/verify-email/"
RESET = "/accounts/password-reset/"
GOOD = {
    "email": "Wanjiku@Example.com",
    "first_name": "Wanjiku",
    "last_name": "Kamau",
    "password1": "a-Long-pass-123",
    "password2": "a-Long-pass-123",
}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    return Client()


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def path_of(link: str, settings) -> str:
    return link.removeprefix(settings.SITE_URL)


def field_error(response, field: str) -> str:
    """The text of the error list Django renders next to the field (id_<field>_error)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.content.decode(), re.S)
    assert match, f"no error next to {field}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


# --- sign up and verify ---------------------------------------------------------------------------


def test_signing_up_creates_the_user_and_wallet_and_emails_a_link_to_the_web_page(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, GOOD)

    assert response.status_code == 302 and response["Location"] == CHECK
    user = User.objects.get(email="wanjiku@example.com")
    assert user.first_name == "Wanjiku" and user.check_password("a-Long-pass-123")
    assert not user.email_verified
    assert Wallet.objects.filter(user=user).count() == 1
    assert [m.to for m in mail.outbox] == [["wanjiku@example.com"]]
    assert link_in(mail.outbox[0]).startswith(f"{settings.SITE_URL}{VERIFY}?token=")
    page = client.get(CHECK)
    assert page.status_code == 200 and b"wanjiku@example.com" in page.content


def test_the_link_verifies_and_offers_to_log_in(client, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP, GOOD)

    response = Client().get(path_of(link_in(mail.outbox[0]), settings))

    assert response.status_code == 200
    assert b"Email address verified" in response.content
    assert f'href="{LOGIN}"'.encode() in response.content
    assert User.objects.get(email="wanjiku@example.com").email_verified


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"password2": "another-Pass-456"}, "password2", "not the same"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "too common"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "wanjikukamau", "password2": "wanjikukamau"}, "password1", "too similar"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": ""}, "email", "required"),
        ({"first_name": ""}, "first_name", "required"),
        ({"first_name": "x" * 151}, "first_name", "at most 150"),
    ],
)
def test_bad_sign_ups_are_refused_next_to_the_field_and_write_nothing(client, change, field, words):
    users = User.objects.count()

    response = client.post(SIGNUP, {**GOOD, **change})

    assert response.status_code == 200
    assert words in field_error(response, field)
    assert title(response).startswith("Error:")
    assert b'class="error-summary"' in response.content
    assert b'aria-invalid="true"' in response.content
    assert User.objects.count() == users and not mail.outbox


def test_an_empty_post_shows_every_required_field(client):
    response = client.post(SIGNUP, {})
    assert response.status_code == 200 and "required" in field_error(response, "email")
    assert not User.objects.exists()


def test_an_email_already_registered_in_another_case_is_refused(client, make_user):
    make_user(email="wanjiku@example.com")
    users, wallets = User.objects.count(), Wallet.objects.count()

    response = client.post(SIGNUP, GOOD)

    assert response.status_code == 200
    assert "already exists" in field_error(response, "email")
    assert (User.objects.count(), Wallet.objects.count()) == (users, wallets)
    assert b'value="Wanjiku"' in response.content  # the input is kept


def old_token(user, hours: int) -> str:
    real = signing.TimestampSigner.timestamp
    signing.TimestampSigner.timestamp = lambda self: signing.b62_encode(int(time.time()) - hours * 3600)
    try:
        return email_verification_token(user)
    finally:
        signing.TimestampSigner.timestamp = real


@pytest.mark.parametrize("kind", ["tampered", "expired", "missing", "garbage"])
def test_a_bad_or_expired_link_says_why_and_verifies_nothing(client, make_user, settings, kind):
    user = make_user(email_verified_at=None)
    token = {
        "tampered": email_verification_token(user) + "x",
        "expired": old_token(user, settings.EMAIL_VERIFICATION_MAX_AGE_HOURS + 1),
        "missing": "",
        "garbage": "é:é:é" * 50,
    }[kind]

    response = client.get(VERIFY, {"token": token})

    user.refresh_from_db()
    assert response.status_code == 400
    assert title(response).startswith("Error:")
    expected = b'data-code="token_expired"' if kind == "expired" else b'data-code="invalid_token"'
    assert expected in response.content
    assert not user.email_verified


def test_send_again_sends_a_new_link_up_to_the_apis_rate(client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_VERIFICATION_RESEND_RATE = "2/hour"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP, GOOD)

    answers = [client.post(CHECK, follow=True) for _ in range(3)]

    assert all(answer.status_code == 200 for answer in answers)
    assert len(mail.outbox) == 1 + 2
    assert b"We sent a new link" in answers[0].content
    assert b"wait a while" in answers[2].content


def test_the_check_email_page_without_a_sign_up_goes_to_log_in(client):
    response = client.get(CHECK)
    assert response.status_code == 302 and response["Location"] == LOGIN


# --- log in and out ---------------------------------------------------------------------------------


def test_logging_in_lands_on_the_home_page_and_logging_out_needs_a_post(client, make_user):
    make_user(email="ann@example.com", password="a-Long-pass-123")

    response = client.post(LOGIN, {"username": "ANN@example.com", "password": "a-Long-pass-123"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and out["Location"] == LOGIN
    assert client.get("/")["Location"].startswith(LOGIN)


def test_an_unverified_user_may_log_in_and_is_reminded(client, make_user):
    """As the API: logging in does not need a verified address; what trusts the address does."""
    make_user(email="ann@example.com", password="a-Long-pass-123", email_verified_at=None)

    response = client.post(LOGIN, {"username": "ann@example.com", "password": "a-Long-pass-123"}, follow=True)

    assert response.status_code == 200
    assert b"not verified yet" in response.content


@pytest.mark.parametrize(
    "values",
    [
        {"username": "ann@example.com", "password": "wrong-pass"},
        {"username": "nobody@example.com", "password": "a-Long-pass-123"},
        {"username": "not-an-email", "password": "x"},
        {"username": "", "password": ""},
    ],
)
def test_a_bad_login_is_refused_with_a_message(client, make_user, values):
    make_user(email="ann@example.com", password="a-Long-pass-123")

    response = client.post(LOGIN, values)

    assert response.status_code == 200
    assert title(response).startswith("Error:")
    assert b'class="error-summary"' in response.content
    assert "_auth_user_id" not in client.session


def test_axes_locks_out_the_web_login_too_with_a_page_not_json(client, make_user, settings):
    make_user(email="ann@example.com", password="a-Long-pass-123")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "ann@example.com", "password": "wrong-pass"})

    response = client.post(LOGIN, {"username": "ann@example.com", "password": "a-Long-pass-123"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


def test_pages_of_the_app_send_a_stranger_to_log_in(client):
    response = client.get("/history/")
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=/history/"


# --- password reset ---------------------------------------------------------------------------------


def reset_link(client, settings, email="ann@example.com") -> str:
    response = client.post(RESET, {"email": email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    return path_of(link_in(mail.outbox[-1]), settings)


def test_forgotten_password_by_email_then_a_new_one(client, make_user, settings):
    ann = make_user(email="ann@example.com", password="old-Pass-123")
    link = reset_link(client, settings, "ANN@example.com")
    assert link.startswith(RESET)

    assert client.get(link).status_code == 200
    done = client.post(link, {"password1": "brand-New-pass-456", "password2": "brand-New-pass-456"})

    assert done.status_code == 302 and done["Location"] == LOGIN
    ann.refresh_from_db()
    assert ann.check_password("brand-New-pass-456")
    again = client.post(link, {"password1": "third-Pass-789", "password2": "third-Pass-789"})
    assert again.status_code == 200 and b"invalid or was already used" in again.content
    ann.refresh_from_db()
    assert ann.check_password("brand-New-pass-456")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, settings):
    response = client.post(RESET, {"email": "nobody@example.com"}, follow=True)
    assert response.status_code == 200 and b"If an account uses this address" in response.content
    assert not mail.outbox


def test_reset_requests_share_the_apis_limit_per_address(client, make_user, settings):
    settings.PASSWORD_RESET_RATE = "2/hour"
    make_user(email="ann@example.com")
    client.post("/api/auth/password-reset/", {"email": "ann@example.com"})  # the API counts too
    client.post(RESET, {"email": "ann@example.com"})

    refused = client.post(RESET, {"email": "ann@example.com"})

    assert refused.status_code == 200 and b"wait a while" in refused.content
    assert title(refused).startswith("Error:")
    assert len(mail.outbox) == 2


def test_guessing_reset_links_is_limited_per_address(client, make_user, settings):
    settings.PASSWORD_RESET_RATE = "2/hour"
    ann = make_user(email="ann@example.com", password="old-Pass-123")
    link = reset_link(client, settings)
    values = {"password1": "brand-New-pass-456", "password2": "brand-New-pass-456"}
    client.post("/accounts/password-reset/MQ/guess-1/", values)
    client.post("/accounts/password-reset/MQ/guess-2/", values)

    refused = client.post(link, values)  # the right link, but after too many tries from here

    assert refused.status_code == 200 and b"wait a while" in refused.content
    ann.refresh_from_db()
    assert ann.check_password("old-Pass-123")


def test_a_bad_email_on_the_reset_form_is_refused_next_to_the_field(client):
    response = client.post(RESET, {"email": "nope"})
    assert response.status_code == 200 and "valid email" in field_error(response, "email")


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"password1": "brand-New-pass-456", "password2": "other-Pass-456"}, "password2", "not the same"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "too common"),
        ({"password1": "", "password2": ""}, "password1", "required"),
    ],
)
def test_bad_new_passwords_are_refused_and_the_password_stays(client, make_user, settings, values, field, words):
    ann = make_user(email="ann@example.com", password="old-Pass-123")
    link = reset_link(client, settings)

    response = client.post(link, values)

    assert response.status_code == 200
    assert words in field_error(response, field)
    ann.refresh_from_db()
    assert ann.check_password("old-Pass-123")


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password-reset/MQ/bad-token/",
        "/accounts/password-reset/%C3%A9%C3%A9/x/",
        "/accounts/password-reset/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/",
    ],
)
def test_a_bad_reset_link_says_so_and_changes_nothing(client, make_user, path):
    ann = make_user(email="ann@example.com", password="old-Pass-123")

    response = client.post(path, {"password1": "brand-New-pass-456", "password2": "brand-New-pass-456"})

    assert response.status_code == 200
    assert b"invalid or was already used" in response.content
    assert title(response).startswith("Error:")
    ann.refresh_from_db()
    assert ann.check_password("old-Pass-123")


# --- the envelope -----------------------------------------------------------------------------------


def test_a_csrf_failure_shows_a_page_and_an_htmx_fragment(make_user):
    strict = Client(enforce_csrf_checks=True)

    page = strict.post(LOGIN, {"username": "a@example.com", "password": "x"})
    fragment = strict.post(LOGIN, {"username": "a@example.com", "password": "x"}, headers={"HX-Request": "true"})

    assert page.status_code == 403 and b"Please try again" in page.content and b"CSRF" not in page.content
    assert fragment.status_code == 403 and fragment["HX-Retarget"] == "#status"
    assert b"<html" not in fragment.content and b"Reload the page" in fragment.content


def test_an_unknown_page_is_the_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content and b"app.css" in response.content


def test_the_500_page_names_no_details(client, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html and "Traceback" not in html
