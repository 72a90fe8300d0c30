"""The standing order pages: create (form, review, confirm once), detail with next dates and
executions, pause, resume, cancel, bad values and other users' orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.services import standing_order_pause, standing_orders_execute_due
from comrade.standing_orders.tests.factories import StandingOrderFactory
from comrade.web.tests.shop.ledger_state import ledger_state

pytestmark = pytest.mark.django_db


def today():
    return timezone.now().date()


@pytest.fixture
def alice(make_user):
    return make_user(balance="100.00", first_name="Alice", last_name="Achieng")


@pytest.fixture
def bob(make_user):
    return make_user(first_name="Bob", last_name="Baraka")


@pytest.fixture
def web(client, alice):
    client.force_login(alice)
    return client


def terms(to, **overrides):
    data = {
        "email": to.email,
        "amount": "1,250.5",
        "frequency": "MONTHLY",
        "start_date": (today() + timedelta(days=1)).isoformat(),
        "end_date": "",
        "description": "Rent share",
    }
    return {**data, **overrides}


def test_the_list_is_empty_then_shows_my_orders_only(web, alice, bob, make_user):
    assert "Set up your first standing order" in web.get(reverse("standing_orders:list")).content.decode()
    StandingOrderFactory(user=alice, recipient=bob, amount=Decimal("25.00"))
    StandingOrderFactory(user=make_user(), recipient=bob, amount=Decimal("77.00"))
    page = web.get(reverse("standing_orders:list")).content.decode()
    assert "Bob Baraka" in page and "USD 25.00" in page and "USD 77.00" not in page


def test_review_shows_the_payee_name_and_next_dates_and_writes_nothing(web, bob):
    before = ledger_state()
    response = web.post(reverse("standing_orders:new"), terms(bob))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Bob Baraka" in page and "USD 1,250.50" in page
    tomorrow = today() + timedelta(days=1)
    assert tomorrow.strftime("%-d %b %Y") in page
    assert 'name="form_key"' in page
    assert ledger_state() == before


def test_confirm_creates_one_order_however_often_it_is_posted(web, alice, bob):
    review = web.post(reverse("standing_orders:new"), terms(bob))
    key = review.context["form_key"]
    body = {**terms(bob), "form_key": key}
    first = web.post(reverse("standing_orders:confirm"), body)
    second = web.post(reverse("standing_orders:confirm"), body)
    order = StandingOrder.objects.get(user=alice)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("standing_orders:detail", args=[order.pk])
    assert (order.recipient, order.amount, order.frequency, order.status) == (
        bob,
        Decimal("1250.50"),
        "MONTHLY",
        "ACTIVE",
    )


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"amount": "1.005"}, "amount", "two decimals"),
        ({"amount": "-5"}, "amount", "greater than zero"),
        ({"amount": "0"}, "amount", "greater than zero"),
        ({"amount": "1000000000"}, "amount", "The most you can move"),
        ({"amount": "1" + "0" * 25}, "amount", "The most you can move"),
        ({"amount": "-1" + "0" * 25}, "amount", "greater than zero"),
        ({"amount": "1e3"}, "amount", "Enter an amount"),
        ({"amount": "1_000"}, "amount", "Enter an amount"),
        ({"amount": "\u0661\u0662"}, "amount", "Enter an amount"),
        ({"amount": "1" * 40}, "amount", "Enter an amount"),
        ({"amount": "abc"}, "amount", "Enter an amount"),
        ({"amount": "NaN"}, "amount", "Enter an amount"),
        ({"email": "nobody@example.com"}, "email", "Nobody with this email"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"frequency": "HOURLY"}, "frequency", "valid choice"),
        ({"start_date": "2001-01-01"}, "start_date", "cannot be in the past"),
        ({"start_date": "31/31/2031"}, "start_date", "valid date"),
        ({"end_date": "2020-01-01"}, "end_date", "after the start date"),
    ],
)
@pytest.mark.parametrize("step", ["standing_orders:new", "standing_orders:confirm"])
def test_bad_values_are_refused_next_to_the_field_and_nothing_is_written(web, bob, overrides, field, message, step):
    before = ledger_state()
    body = {**terms(bob, **overrides), "form_key": "6d1f2c8e-4a1b-4f5e-9a55-0a3e3c1f2b7d"}
    response = web.post(reverse(step), body)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors and message in str(form.errors[field])
    assert "Error:" in response.content.decode().split("</title>")[0]
    assert ledger_state() == before


def test_paying_yourself_is_refused_by_the_service(web, alice):
    before = ledger_state()
    response = web.post(reverse("standing_orders:new"), terms(alice))
    assert "cannot pay yourself" in str(response.context["form"].errors["email"])
    assert ledger_state() == before


def test_an_expired_form_key_is_refused(web, bob):
    before = ledger_state()
    response = web.post(reverse("standing_orders:confirm"), {**terms(bob), "form_key": "nope"})
    assert "expired" in str(response.context["form"].errors["form_key"])
    assert ledger_state() == before


def test_detail_shows_next_dates_and_the_executions_with_reasons(web, alice, bob):
    order = StandingOrderFactory(user=alice, recipient=bob, amount=Decimal("30.00"), frequency="WEEKLY")
    standing_orders_execute_due(now=timezone.now())
    poor = StandingOrderFactory(user=alice, recipient=bob, amount=Decimal("500.00"))
    standing_orders_execute_due(now=timezone.now())
    page = web.get(reverse("standing_orders:detail", args=[order.pk])).content.decode()
    assert "Paid" in page and (today() + timedelta(weeks=1)).strftime("%-d %b %Y") in page
    assert (today() + timedelta(weeks=5)).strftime("%-d %b %Y") in page
    failed = web.get(reverse("standing_orders:detail", args=[poor.pk])).content.decode()
    assert "Failed" in failed and "Insufficient balance" in failed


def test_pause_resume_and_cancel_change_the_state(web, alice, bob):
    order = StandingOrderFactory(user=alice, recipient=bob, start_date=today() + timedelta(days=3))
    assert web.post(reverse("standing_orders:pause", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert (order.status, order.next_scheduled_for) == ("PAUSED", None)
    assert "Resume" in web.get(reverse("standing_orders:detail", args=[order.pk])).content.decode()
    web.post(reverse("standing_orders:resume", args=[order.pk]))
    order.refresh_from_db()
    assert (order.status, order.next_scheduled_for) == ("ACTIVE", today() + timedelta(days=3))
    confirm = web.get(reverse("standing_orders:cancel", args=[order.pk])).content.decode()
    assert "no further payments will be made" in confirm
    order.refresh_from_db()
    assert order.status == "ACTIVE"
    web.post(reverse("standing_orders:cancel", args=[order.pk]))
    order.refresh_from_db()
    assert (order.status, order.is_active) == ("CANCELLED", False)


def test_resuming_an_active_order_is_a_message_not_an_error(web, alice, bob):
    order = StandingOrderFactory(user=alice, recipient=bob)
    response = web.post(reverse("standing_orders:resume", args=[order.pk]), follow=True)
    assert response.status_code == 200 and "Only a PAUSED or SUSPENDED order" in response.content.decode()
    standing_order_pause(order=order)
    response = web.post(reverse("standing_orders:pause", args=[order.pk]), follow=True)
    assert "Only an ACTIVE standing order can be paused" in response.content.decode()


def test_pause_and_cancel_need_a_post(web, alice, bob):
    order = StandingOrderFactory(user=alice, recipient=bob)
    assert web.get(reverse("standing_orders:pause", args=[order.pk])).status_code == 405
    order.refresh_from_db()
    assert order.status == "ACTIVE"


@pytest.mark.parametrize("name", ["detail", "edit", "pause", "resume", "cancel"])
def test_another_users_order_is_404_and_unchanged(web, bob, make_user, name):
    theirs = StandingOrderFactory(user=make_user(), recipient=bob)
    before = ledger_state()
    assert web.get(reverse(f"standing_orders:{name}", args=[theirs.pk])).status_code in (404, 405)
    assert web.post(reverse(f"standing_orders:{name}", args=[theirs.pk])).status_code == 404
    assert ledger_state() == before


def test_pages_need_login(client):
    response = client.get(reverse("standing_orders:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_edit_from_the_review_keeps_the_values(web, bob):
    review = web.post(reverse("standing_orders:new"), terms(bob))
    form = review.context["form"]
    values = {field.html_name: field.value() or "" for field in form}
    page = web.get(reverse("standing_orders:new"), values).content.decode()
    assert f'value="{bob.email}"' in page and 'value="1,250.5"' in page and 'value="Rent share"' in page


def test_a_standing_order_into_one_of_my_groups(web, alice):
    from comrade.groups.services import group_create

    group = group_create(admin=alice, name="Chama", group_type="SAVINGS")
    body = terms(alice, email="", group=str(group.pk))
    review = web.post(reverse("standing_orders:new"), body)
    assert "the group Chama" in review.content.decode()
    web.post(reverse("standing_orders:confirm"), {**body, "form_key": review.context["form_key"]})
    order = StandingOrder.objects.get(user=alice)
    assert (order.group, order.recipient) == (group, None)


@pytest.mark.parametrize("payee", ["none", "both", "not-mine"])
def test_the_payee_rules_are_the_services(web, alice, bob, make_user, payee):
    from comrade.groups.services import group_create

    mine = group_create(admin=alice, name="Chama", group_type="SAVINGS")
    theirs = group_create(admin=make_user(), name="Theirs", group_type="SAVINGS")
    body = {
        "none": terms(bob, email=""),
        "both": terms(bob, group=str(mine.pk)),
        "not-mine": terms(bob, email="", group=str(theirs.pk)),
    }[payee]
    before = ledger_state()
    response = web.post(reverse("standing_orders:new"), body)
    assert response.status_code == 200 and response.context["form"].errors
    assert ledger_state() == before


def test_change_the_amount_and_reference(web, alice, bob):
    order = StandingOrderFactory(user=alice, recipient=bob, amount=Decimal("10.00"), start_date=today())
    form = web.get(reverse("standing_orders:edit", args=[order.pk])).content.decode()
    assert 'value="10.00"' in form
    body = {
        "amount": "12.50",
        "frequency": "MONTHLY",
        "start_date": today().isoformat(),
        "end_date": "",
        "description": "Gym",
    }
    assert web.post(reverse("standing_orders:edit", args=[order.pk]), body).status_code == 302
    order.refresh_from_db()
    assert (order.amount, order.description, order.next_scheduled_for) == (Decimal("12.50"), "Gym", today())


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount": "0.001"}, "amount"),
        ({"start_date": "2001-01-01"}, "start_date"),
        ({"end_date": "2001-01-01"}, "end_date"),
    ],
)
def test_bad_changes_are_refused_and_nothing_changes(web, alice, bob, overrides, field):
    order = StandingOrderFactory(user=alice, recipient=bob, start_date=today() + timedelta(days=2))
    before = ledger_state()
    body = {
        "amount": "10.00",
        "frequency": "MONTHLY",
        "start_date": order.start_date.isoformat(),
        "end_date": "",
        "description": "",
    }
    response = web.post(reverse("standing_orders:edit", args=[order.pk]), {**body, **overrides})
    assert response.status_code == 200 and field in response.context["form"].errors
    assert ledger_state() == before


def test_a_cancelled_order_cannot_be_changed(web, alice, bob):
    order = StandingOrderFactory(user=alice, recipient=bob)
    web.post(reverse("standing_orders:cancel", args=[order.pk]))
    body = {
        "amount": "99.00",
        "frequency": "MONTHLY",
        "start_date": today().isoformat(),
        "end_date": "",
        "description": "",
    }
    response = web.post(reverse("standing_orders:edit", args=[order.pk]), body)
    assert "cannot be changed" in response.content.decode()
    order.refresh_from_db()
    assert order.amount == Decimal("10.00")


def test_the_detail_warns_when_the_balance_is_short(web, alice, bob):
    short = StandingOrderFactory(user=alice, recipient=bob, amount=Decimal("150.00"))
    covered = StandingOrderFactory(user=alice, recipient=bob, amount=Decimal("50.00"))
    assert "less than the next payment" in web.get(reverse("standing_orders:detail", args=[short.pk])).content.decode()
    assert (
        "less than the next payment"
        not in web.get(reverse("standing_orders:detail", args=[covered.pk])).content.decode()
    )
