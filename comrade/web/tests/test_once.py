from decimal import Decimal

import pytest
from django.test import RequestFactory

from comrade.core.errors import ApplicationError
from comrade.core.models import IdempotencyRecord
from comrade.web.once import new_key, submit_once

pytestmark = pytest.mark.django_db


def _request(user, path="/send/"):
    request = RequestFactory().post(path)
    request.user = user
    return request


def test_the_same_submission_runs_once_and_replays_the_receipt(django_user_model):
    user = django_user_model.objects.create_user(email="a@example.com", password="x-Pass-123")
    runs = []
    key = new_key()

    def work():
        runs.append(1)
        return f"/transactions/{len(runs)}/"

    first = submit_once(_request(user), key=key, data={"amount": Decimal("5.00")}, work=work)
    second = submit_once(_request(user), key=key, data={"amount": Decimal("5.00")}, work=work)
    assert first == second == "/transactions/1/"
    assert runs == [1]
    assert IdempotencyRecord.objects.filter(user=user, key=f"web:{key}").count() == 1


def test_the_key_with_other_values_is_refused_and_runs_nothing(django_user_model):
    user = django_user_model.objects.create_user(email="b@example.com", password="x-Pass-123")
    key = new_key()
    submit_once(_request(user), key=key, data={"amount": "5.00"}, work=lambda: "/t/1/")
    with pytest.raises(ApplicationError) as refused:
        submit_once(_request(user), key=key, data={"amount": "6.00"}, work=lambda: pytest.fail("ran twice"))
    assert refused.value.status_code == 422


def test_a_refused_submission_gives_the_key_back(django_user_model):
    user = django_user_model.objects.create_user(email="c@example.com", password="x-Pass-123")
    key = new_key()

    def refuse():
        raise ApplicationError("insufficient_funds", "Not enough money.")

    with pytest.raises(ApplicationError):
        submit_once(_request(user), key=key, data={}, work=refuse)
    assert submit_once(_request(user), key=key, data={}, work=lambda: "/t/2/") == "/t/2/"
