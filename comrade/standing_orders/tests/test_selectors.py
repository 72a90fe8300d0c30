from datetime import date, timedelta
from decimal import Decimal

import pytest

from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.selectors import upcoming_run_dates
from comrade.standing_orders.services import standing_order_pause, standing_order_preview
from comrade.standing_orders.tests.factories import StandingOrderFactory, today

pytestmark = pytest.mark.django_db


def test_upcoming_dates_follow_the_schedulers_calendar_and_stop_at_the_end():
    order = StandingOrderFactory.build(
        start_date=date(2031, 1, 31), next_scheduled_for=date(2031, 1, 31), end_date=date(2031, 4, 30)
    )
    assert upcoming_run_dates(order, 5) == [date(2031, 1, 31), date(2031, 2, 28), date(2031, 3, 31), date(2031, 4, 30)]


def test_a_paused_order_has_no_upcoming_dates(make_user):
    order = StandingOrderFactory(start_date=today() + timedelta(days=2), frequency="DAILY")
    assert upcoming_run_dates(order, 2) == [today() + timedelta(days=2), today() + timedelta(days=3)]
    assert upcoming_run_dates(standing_order_pause(order=order), 3) == []


def test_the_preview_is_checked_and_scheduled_but_not_saved(make_user):
    owner, payee = make_user(), make_user()
    start = today() + timedelta(days=1)
    order = standing_order_preview(
        user=owner, recipient_id=payee.pk, amount=Decimal("5.00"), frequency="WEEKLY", start_date=start
    )
    assert order.pk is None and StandingOrder.objects.count() == 0
    assert upcoming_run_dates(order, 3) == [start, start + timedelta(weeks=1), start + timedelta(weeks=2)]
