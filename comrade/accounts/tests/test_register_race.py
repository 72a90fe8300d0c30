"""Two registrations of one address at the same moment: one account, and the other request gets the
same 400 as the ordinary duplicate, with nothing half-written (the wallet is in the same
transaction as the user)."""

import threading

import pytest
from rest_framework.test import APIClient

from comrade.accounts import api as accounts_api
from comrade.accounts.models import User
from comrade.accounts.serializers import RegisterSerializer
from comrade.accounts.services import user_create
from comrade.core.errors import ApplicationError
from comrade.core.testing.concurrency import run_together
from comrade.ledger.models import LedgerAccount, PaymentProfile

REGISTER = "/api/auth/register/"
BODY = {"email": "ann@example.com", "password": "a-Long-pass-123", "first_name": "Ann", "last_name": "Lee"}


def register(email: str = "ann@example.com"):
    return APIClient().post(REGISTER, {**BODY, "email": email}, format="json")


def counts() -> tuple[int, int, int]:
    return User.objects.count(), PaymentProfile.objects.count(), LedgerAccount.objects.count()


@pytest.mark.django_db
def test_the_check_missed_by_a_race_still_gets_the_ordinary_400(monkeypatch):
    """SQLite cannot run the race, so the serializer's check is made to miss, as it does for the
    second of two simultaneous requests; the database constraint must answer for it."""
    ordinary = (register(), register("ANN@example.com"))[1]
    before = counts()
    monkeypatch.setattr(RegisterSerializer, "validate_email", lambda self, value: value.lower())

    raced = register("Ann@Example.com")

    assert (ordinary.status_code, raced.status_code) == (400, 400)
    assert raced.data == ordinary.data
    assert raced.data["code"] == "validation_error" and "email" in raced.data["fields"]
    assert counts() == before


@pytest.mark.django_db
def test_user_create_of_a_taken_email_writes_nothing():
    user_create(email="ann@example.com", password="a-Long-pass-123")
    before = counts()

    with pytest.raises(ApplicationError) as refused:
        user_create(email="Ann@example.com", password="a-Long-pass-123")

    assert refused.value.code == "validation_error" and "email" in refused.value.fields
    assert counts() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_registrations_at_the_same_moment(monkeypatch):
    """Both requests pass the serializer's check before either inserts (a barrier holds them),
    so the second insert meets the unique constraint while the first is still uncommitted."""
    assert register("someone@example.com").status_code == 201
    ordinary = register("someone@example.com").data
    before = counts()
    both_checked = threading.Barrier(2, timeout=20)

    def user_create_after_both_checked(**fields):
        both_checked.wait()
        return user_create(**fields)

    monkeypatch.setattr(accounts_api, "user_create", user_create_after_both_checked)

    results = run_together([lambda: register("ann@example.com"), lambda: register("ANN@example.com")])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.status_code for r in results) == [201, 400], [r.data for r in results]
    refused = next(r for r in results if r.status_code == 400)
    assert refused.data == ordinary
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert User.objects.get(email="ann@example.com").payment_profile is not None
