from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from comrade.accounts.tests.factories import UserFactory
from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.schedule import run_at


def today():
    return timezone.now().date()


def days_ago(n: int):
    return today() - timedelta(days=n)


class StandingOrderFactory(factory.django.DjangoModelFactory):
    """An ACTIVE order pointing at its first period (`start_date`, today by default), as the
    create service leaves it; a past start_date makes an order whose periods were missed."""

    class Meta:
        model = StandingOrder

    user = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    amount = Decimal("10.00")
    frequency = StandingOrder.Frequency.MONTHLY
    start_date = factory.LazyFunction(today)
    next_scheduled_for = factory.LazyAttribute(lambda o: o.start_date)
    next_execution = factory.LazyAttribute(lambda o: run_at(o.next_scheduled_for))
