import pytest
from django.test import Client


@pytest.fixture
def web_client():
    """A Django test client logged in as `user`."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
