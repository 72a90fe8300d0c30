"""Refresh tokens are single use (ROTATE_REFRESH_TOKENS + BLACKLIST_AFTER_ROTATION)."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from comrade.accounts.models import User

REFRESH = "/api/auth/token/refresh/"


def test_a_used_refresh_token_is_refused(db):
    User.objects.create_user("ann@example.com", "right-Pass-123")
    client = APIClient()
    first = client.post("/api/auth/token/", {"email": "ann@example.com", "password": "right-Pass-123"}).json()

    rotated = client.post(REFRESH, {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    assert {"access", "refresh"} <= set(rotated.json()) and rotated.json()["refresh"] != first["refresh"]

    reused = client.post(REFRESH, {"refresh": first["refresh"]})
    assert reused.status_code == 401 and reused.json()["code"] == "token_not_valid"
    assert BlacklistedToken.objects.count() == 1
    assert client.post(REFRESH, {"refresh": rotated.json()["refresh"]}).status_code == 200
