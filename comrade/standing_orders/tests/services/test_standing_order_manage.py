"""create / update / pause / resume / cancel keep next_execution right."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.standing_orders.schedule import run_at
from comrade.standing_orders.services import (
    standing_order_cancel,
    standing_order_create,
    standing_order_pause,
    standing_order_resume,
    standing_order_update,
    standing_orders_execute_due,
)
from comrade.standing_orders.tests.factories import StandingOrderFactory, days_ago, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(make_user):
    return standing_order_create(
        user=make_user(balance="100.00"),
        recipient_id=make_user().pk,
        amount=Decimal("10.00"),
        frequency="MONTHLY",
        start_date=today() + timedelta(days=3),
    )


def fields(order):
    order.refresh_from_db()
    return order.status, order.is_active, order.next_scheduled_for, order.next_execution


def test_create_points_at_the_start_date(order):
    assert fields(order) == ("ACTIVE", True, today() + timedelta(days=3), run_at(today() + timedelta(days=3)))


def test_an_order_starting_today_is_due_at_once(make_user):
    order = standing_order_create(
        user=make_user(balance="20.00"),
        recipient_id=make_user().pk,
        amount=Decimal("5.00"),
        frequency="DAILY",
        start_date=today(),
    )
    assert order.next_execution <= timezone.now()
    assert standing_orders_execute_due(now=timezone.now()) == 1


def test_update_of_amount_keeps_the_schedule_and_of_frequency_moves_it(order):
    before = fields(order)
    standing_order_update(order=order, data={"amount": Decimal("12.50"), "description": "rent"})
    assert fields(order) == before and order.amount == Decimal("12.50")
    standing_order_update(order=order, data={"frequency": "DAILY", "start_date": today()})
    assert fields(order) == ("ACTIVE", True, today(), run_at(today()))


def test_a_new_schedule_never_repays_a_handled_period(make_user):
    order = StandingOrderFactory(user=make_user(balance="50.00"), frequency="DAILY")
    standing_orders_execute_due(now=timezone.now())
    standing_order_update(order=order, data={"frequency": "WEEKLY"})
    assert fields(order)[2] == today() + timedelta(days=7)


def test_pause_clears_next_execution_and_resume_restarts_from_today(make_user):
    order = StandingOrderFactory(user=make_user(balance="50.00"), frequency="DAILY", start_date=days_ago(10))
    standing_order_pause(order=order)
    assert fields(order) == ("PAUSED", False, None, None)
    assert standing_orders_execute_due(now=timezone.now()) == 0
    standing_order_resume(order=order)
    assert fields(order) == ("ACTIVE", True, today(), run_at(today()))
    assert not order.executions.exists()


def test_pause_during_retries_gives_the_period_up(make_user):
    order = StandingOrderFactory(user=make_user(balance="1.00"))
    standing_orders_execute_due(now=timezone.now())
    assert order.executions.get().status == "FAILED"
    standing_order_pause(order=order)
    execution = order.executions.get()
    assert (execution.status, execution.failure_reason) == ("SKIPPED", "The standing order was paused.")


def test_resume_after_the_end_date_is_refused_and_changes_nothing(make_user):
    order = StandingOrderFactory(user=make_user(), start_date=days_ago(40), end_date=days_ago(1))
    standing_order_pause(order=order)
    with pytest.raises(ApplicationError) as exc:
        standing_order_resume(order=order)
    assert exc.value.code == "schedule_ended" and fields(order) == ("PAUSED", False, None, None)


def test_resume_revalidates_the_payee(make_user):
    order = StandingOrderFactory(user=make_user(balance="50.00"))
    standing_order_pause(order=order)
    type(order.recipient).objects.filter(pk=order.recipient_id).update(is_active=False)
    with pytest.raises(ApplicationError) as exc:
        standing_order_resume(order=order)
    assert exc.value.code == "unknown_recipient" and fields(order)[0] == "PAUSED"


@pytest.mark.parametrize("action", [standing_order_pause, standing_order_resume])
def test_pause_and_resume_refuse_the_wrong_state(order, action):
    if action is standing_order_pause:
        standing_order_cancel(order=order)
    before = fields(order)
    with pytest.raises(ApplicationError):
        action(order=order)
    assert fields(order) == before


def test_cancel_keeps_the_history_and_is_final(make_user):
    order = StandingOrderFactory(user=make_user(balance="50.00"))
    standing_orders_execute_due(now=timezone.now())
    standing_order_cancel(order=order)
    assert fields(order) == ("CANCELLED", False, None, None)
    assert StandingOrderExecution.objects.filter(order=order).count() == 1
    standing_order_cancel(order=order)
    with pytest.raises(ApplicationError) as exc:
        standing_order_update(order=order, data={"amount": Decimal("1.00")})
    assert exc.value.code == "order_closed"
    assert StandingOrder.objects.get(pk=order.pk).amount == Decimal("10.00")
