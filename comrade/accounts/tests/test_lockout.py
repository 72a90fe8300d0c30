"""django-axes: AXES_FAILURE_LIMIT failed logins by one (email, address) pair lock that pair out
of every login entry point until AXES_COOLOFF_TIME has passed; a success resets the count."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.test import APIClient

from comrade.accounts.lockout import client_address
from comrade.accounts.models import User

PASSWORD = "right-Pass-123"
TOKEN = "/api/auth/token/"


@pytest.fixture
def ann(db):
    return User.objects.create_user("ann@example.com", PASSWORD)


def jwt_login(client, password, email="ann@example.com", ip="10.0.0.1", **headers):
    return client.post(TOKEN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **headers)


def test_jwt_endpoint_locks_out_after_the_limit_even_with_the_right_password(ann, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert jwt_login(client, "wrong").status_code == 401
    locked = jwt_login(client, "wrong")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out" and locked.json()["message"]
    right = jwt_login(client, PASSWORD)
    assert right.status_code == 429 and "access" not in right.json()


def test_the_lock_is_per_email_and_address(ann, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        jwt_login(client, "wrong", email="ANN@example.com")  # letter case does not buy fresh attempts
    assert jwt_login(client, PASSWORD).status_code == 429
    assert jwt_login(client, PASSWORD, ip="10.0.0.2").status_code == 200


def test_the_lock_ends_after_the_cooloff(ann, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        jwt_login(client, "wrong")
    assert jwt_login(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)
    assert jwt_login(client, PASSWORD).status_code == 200


def test_the_lock_holds_just_before_the_cooloff_ends(ann, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        jwt_login(client, "wrong")
    almost = settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - almost)
    assert jwt_login(client, PASSWORD).status_code == 429


def test_a_success_resets_the_count(ann, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        jwt_login(client, "wrong")
    assert jwt_login(client, PASSWORD).status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert jwt_login(client, "wrong").status_code == 401
    assert jwt_login(client, PASSWORD).status_code == 200


def test_session_login_locks_out_with_the_json_error(ann, settings):
    client = Client(REMOTE_ADDR="10.0.0.3")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/api-auth/login/", {"username": "ann@example.com", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    locked = client.post("/api-auth/login/", {"username": "ann@example.com", "password": "wrong"})
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    for password in ("wrong", PASSWORD):
        response = client.post("/api-auth/login/", {"username": "ann@example.com", "password": password})
        assert response.status_code == 429 and response.json()["code"] == "locked_out"
    assert "_auth_user_id" not in client.session


def test_admin_login_locks_out(db, settings):
    User.objects.create_superuser("root@example.com", PASSWORD)
    client = Client(REMOTE_ADDR="10.0.0.4")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/admin/login/", {"username": "root@example.com", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/admin/login/", {"username": "root@example.com", "password": "wrong"})
    assert response.status_code == 429 and response.json()["code"] == "locked_out"
    assert client.post("/admin/login/", {"username": "root@example.com", "password": PASSWORD}).status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.9"),  # no proxy: the header is the client's own words
        (1, "8.8.8.8", "8.8.8.8"),  # one nginx appended the client it saw
        (1, "6.6.6.6, 8.8.8.8", "8.8.8.8"),  # the client's forged entry is ignored
        (2, "6.6.6.6, 8.8.8.8, 172.16.0.1", "8.8.8.8"),
        (2, "8.8.8.8", "10.0.0.9"),  # fewer entries than proxies: not through them
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, rf, hops, forwarded, expected):
    settings.LOGIN_PROXY_COUNT = hops
    request = rf.post(TOKEN, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_forged_forwarded_header_does_not_escape_the_lockout(ann, settings):
    settings.LOGIN_PROXY_COUNT = 1
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        jwt_login(client, "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 8.8.8.8")
    assert jwt_login(client, PASSWORD, HTTP_X_FORWARDED_FOR="7.7.7.7, 8.8.8.8").status_code == 429
