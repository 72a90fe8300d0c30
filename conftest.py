import socket
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from comrade.accounts.tests.factories import UserFactory
from comrade.accounts.tests.otp import device_of, otp_access_token
from comrade.ledger.services import wallet_fund

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
        raise RuntimeError(f"Tests may not open network connections to {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def block_outgoing_network():
    socket.socket.connect = _loopback_only
    yield
    socket.socket.connect = _real_connect


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (SQLite ignores select_for_update)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def make_user(db):
    def make(balance: Decimal | str | int = 0, **kwargs):
        user = UserFactory(**kwargs)
        if Decimal(balance) > 0:
            wallet_fund(user=user, amount=Decimal(balance))
        return user

    return make


@pytest.fixture
def client_for():
    """otp=True: the client holds a JWT issued with the user's one-time password, as the staff
    money actions (fund, refunds) require."""

    def make(user=None, *, otp: bool = False) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user, token=otp_access_token(user) if otp else None)
        return client

    return make


@pytest.fixture
def staff_with_otp(make_user):
    """A staff user with an enrolled TOTP device; pass it to client_for(..., otp=True)."""

    def make(**kwargs):
        user = make_user(is_staff=True, **kwargs)
        device_of(user)
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user(balance="100.00")


@pytest.fixture
def api(client_for, user) -> APIClient:
    return client_for(user)
