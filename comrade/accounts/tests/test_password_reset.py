"""POST /api/auth/password-reset/ and /confirm/: no account leak, single-use links, validated
passwords, refresh tokens revoked."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from comrade.accounts.models import User

RESET = "/api/auth/password-reset/"
CONFIRM = "/api/auth/password-reset/confirm/"
OLD, NEW = "old-Pass-123", "brand-New-pass-456"


@pytest.fixture
def ann(db):
    return User.objects.create_user("ann@example.com", OLD)


def link_values(message) -> dict:
    return dict(re.findall(r"^(uid|token): (\S+)$", message.body, re.MULTILINE))


def can_log_in(password: str) -> bool:
    response = APIClient().post("/api/auth/token/", {"email": "ann@example.com", "password": password})
    return response.status_code == 200


def test_reset_link_works_once(ann):
    client = APIClient()
    response = client.post(RESET, {"email": "ANN@example.com"})
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    values = link_values(mail.outbox[0])

    done = client.post(CONFIRM, {**values, "new_password": NEW})
    assert done.status_code == 200
    assert can_log_in(NEW) and not can_log_in(OLD)

    again = client.post(CONFIRM, {**values, "new_password": "another-Pass-789"})
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"
    assert can_log_in(NEW)


def test_unknown_email_gets_the_same_answer_and_no_mail(ann):
    known = APIClient().post(RESET, {"email": "ann@example.com"})
    unknown = APIClient().post(RESET, {"email": "nobody@example.com"})
    assert unknown.status_code == 200 and unknown.json() == known.json()
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_a_weak_password_is_refused_naming_the_field_and_the_link_still_works(ann):
    APIClient().post(RESET, {"email": "ann@example.com"})
    values = link_values(mail.outbox[0])
    weak = APIClient().post(CONFIRM, {**values, "new_password": "123"})
    assert weak.status_code == 400
    assert weak.json()["code"] == "validation_error" and "new_password" in weak.json()["fields"]
    ann.refresh_from_db()
    assert ann.check_password(OLD)  # (logging in would spend the link: it is bound to last_login)
    assert APIClient().post(CONFIRM, {**values, "new_password": NEW}).status_code == 200


@pytest.mark.parametrize("uid", ["!!!", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODk", "", "LTE"])
def test_a_bad_uid_or_token_is_a_400_and_changes_nothing(ann, uid):
    response = APIClient().post(CONFIRM, {"uid": uid, "token": "abc-def", "new_password": NEW})
    assert response.status_code == 400
    assert can_log_in(OLD)


def test_a_reset_revokes_refresh_tokens(ann):
    tokens = APIClient().post("/api/auth/token/", {"email": "ann@example.com", "password": OLD}).json()
    APIClient().post(RESET, {"email": "ann@example.com"})
    APIClient().post(CONFIRM, {**link_values(mail.outbox[0]), "new_password": NEW})
    assert APIClient().post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


def test_reset_requests_are_throttled_per_address(ann, settings):
    settings.PASSWORD_RESET_RATE = "2/hour"
    client = APIClient()
    assert [client.post(RESET, {"email": "ann@example.com"}).status_code for _ in range(3)] == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_the_schema_documents_password_reset_and_otp(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/auth/password-reset/", "/api/auth/password-reset/confirm/", "/api/auth/otp/verify/"} <= set(
        schema["paths"]
    )
    assert "otp_token" in schema["components"]["schemas"]["TokenObtainPairRequest"]["properties"]
