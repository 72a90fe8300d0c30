"""Wiring, status codes, validation and access of /payments/standing-orders/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.schedule import run_at
from comrade.standing_orders.services import standing_orders_execute_due
from comrade.standing_orders.tests.factories import StandingOrderFactory, today

pytestmark = pytest.mark.django_db
URL = "/payments/standing-orders/"


@pytest.fixture
def bob(make_user):
    return make_user()


def body(to, **overrides):
    data = {
        "recipient": to.pk,
        "amount": "25.00",
        "frequency": "MONTHLY",
        "payment_method": "INTERNAL",
        "description": "Rent share",
        "start_date": (today() + timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return data


def test_create_returns_the_order_with_its_next_execution(api, user, bob):
    response = api.post(URL, body(bob, end_date=(today() + timedelta(days=90)).isoformat()))
    assert response.status_code == 201, response.data
    data = response.data
    assert (data["user"], data["recipient"], data["amount"], data["status"], data["is_active"]) == (
        user.pk,
        bob.pk,
        "25.00",
        "ACTIVE",
        True,
    )
    tomorrow = today() + timedelta(days=1)
    assert data["next_scheduled_for"] == tomorrow.isoformat()
    assert data["next_execution"] == run_at(tomorrow).isoformat().replace("+00:00", "Z")
    assert data["last_executed"] is None
    assert StandingOrder.objects.get(pk=data["id"]).user == user


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "1000000.01"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"frequency": "HOURLY"}, "frequency"),
        ({"payment_method": "EXTERNAL"}, "payment_method"),
        ({"start_date": (today() - timedelta(days=1)).isoformat()}, "start_date"),
        ({"end_date": (today() + timedelta(days=1)).isoformat()}, "end_date"),
        ({"end_date": today().isoformat()}, "end_date"),
        ({"recipient": None}, "recipient"),
        ({"recipient": 999999}, "recipient"),
        ({"start_date": "tomorrow"}, "start_date"),
    ],
)
def test_invalid_orders_are_refused_and_nothing_is_written(api, bob, overrides, field):
    response = api.post(URL, body(bob, **overrides))
    assert response.status_code == 400
    assert field in response.data["fields"], response.data
    assert StandingOrder.objects.count() == 0


def test_paying_yourself_or_an_inactive_user_is_refused(api, user, make_user):
    for recipient, code in [(user, "self_payment"), (make_user(is_active=False), "unknown_recipient")]:
        response = api.post(URL, body(recipient))
        assert response.status_code == 400 and response.data["code"] == code
    assert StandingOrder.objects.count() == 0


def test_external_payment_method_is_refused_with_a_clear_message(api, bob):
    response = api.post(URL, body(bob, payment_method="EXTERNAL"))
    assert response.status_code == 400 and response.data["code"] == "unsupported"
    assert "INTERNAL" in response.data["message"]


def test_create_is_idempotent_with_a_key(api, bob):
    first = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="so-1")
    again = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="so-1")
    assert first.status_code == again.status_code == 201 and first.data["id"] == again.data["id"]
    assert StandingOrder.objects.count() == 1


def test_list_retrieve_and_update_own_orders(api, user, bob):
    created = api.post(URL, body(bob)).data
    listing = api.get(URL).data
    assert [o["id"] for o in listing["results"]] == [created["id"]]
    assert api.get(f"{URL}{created['id']}/").data["description"] == "Rent share"
    patched = api.patch(f"{URL}{created['id']}/", {"amount": "30.00", "frequency": "WEEKLY"})
    assert patched.status_code == 200 and patched.data["amount"] == "30.00"
    assert patched.data["next_scheduled_for"] == created["next_scheduled_for"]
    replaced = api.put(f"{URL}{created['id']}/", body(bob, amount="5.00", start_date=today().isoformat()))
    assert replaced.status_code == 200 and replaced.data["next_scheduled_for"] == today().isoformat()
    bad = api.patch(f"{URL}{created['id']}/", {"end_date": "2000-01-01"})
    assert bad.status_code == 400 and "end_date" in bad.data["fields"]
    assert StandingOrder.objects.get(pk=created["id"]).amount == Decimal("5.00")


def test_read_only_fields_cannot_be_set(api, bob):
    created = api.post(URL, body(bob)).data
    api.patch(f"{URL}{created['id']}/", {"status": "COMPLETED", "is_active": False, "next_execution": None})
    order = StandingOrder.objects.get(pk=created["id"])
    assert order.status == "ACTIVE" and order.is_active and order.next_execution is not None


def test_pause_resume_and_delete(api, bob):
    order_id = api.post(URL, body(bob)).data["id"]
    paused = api.post(f"{URL}{order_id}/pause/")
    assert paused.status_code == 200 and (paused.data["status"], paused.data["next_execution"]) == ("PAUSED", None)
    assert api.post(f"{URL}{order_id}/pause/").data["code"] == "not_active"
    resumed = api.post(f"{URL}{order_id}/resume/")
    assert resumed.status_code == 200 and resumed.data["is_active"] is True
    assert resumed.data["next_scheduled_for"] == (today() + timedelta(days=1)).isoformat()
    assert api.delete(f"{URL}{order_id}/").status_code == 204
    cancelled = api.get(f"{URL}{order_id}/").data
    assert (cancelled["status"], cancelled["is_active"], cancelled["next_execution"]) == ("CANCELLED", False, None)
    assert api.post(f"{URL}{order_id}/resume/").status_code == 400
    assert api.get(f"{URL}?status=CANCELLED").data["count"] == 1


def test_executions_are_listed_with_their_transactions(api, user, bob):
    order = StandingOrderFactory(
        user=user, recipient=bob, amount=Decimal("30.00"), frequency="DAILY", start_date=today() - timedelta(days=4)
    )
    standing_orders_execute_due(now=timezone.now())
    page = api.get(f"{URL}{order.pk}/executions/?limit=2").data
    assert page["count"] == 4 and len(page["results"]) == 2  # the 4th day failed: retried before today's
    newest = page["results"][0]
    assert newest["scheduled_for"] == (today() - timedelta(days=1)).isoformat()
    assert (newest["status"], newest["attempts"]) == ("FAILED", 1)
    assert newest["transaction"]["status"] == "FAILED" and newest["failure_reason"]
    oldest = api.get(f"{URL}{order.pk}/executions/?limit=2&page=2").data["results"][-1]
    assert oldest["status"] == "SUCCEEDED" and oldest["transaction"]["amount"] == "30.00"
    assert oldest["executed_at"] is not None


def test_other_users_orders_are_404_and_untouched(api, bob, client_for):
    theirs = StandingOrderFactory(user=bob)
    before = (theirs.status, theirs.amount, theirs.next_execution)
    assert api.get(URL).data["count"] == 0
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.patch(f"{URL}{theirs.pk}/", {"amount": "1.00"}).status_code == 404
    assert api.put(f"{URL}{theirs.pk}/", body(bob)).status_code == 404
    assert api.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert api.post(f"{URL}{theirs.pk}/pause/").status_code == 404
    assert api.post(f"{URL}{theirs.pk}/resume/").status_code == 404
    assert api.get(f"{URL}{theirs.pk}/executions/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.amount, theirs.next_execution) == before
    assert client_for(bob).get(f"{URL}{theirs.pk}/").status_code == 200


def test_anonymous_is_401(client_for):
    assert client_for().get(URL).status_code == 401
    assert client_for().post(URL, {}).status_code == 401
