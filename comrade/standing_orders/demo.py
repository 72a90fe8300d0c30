"""Demo data: Alice pays Bob a weekly allowance; the embedded scheduler of `make run` pays the
first period within a tick of starting."""

from decimal import Decimal

from django.utils import timezone

from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.services import standing_order_create

DESCRIPTION = "Demo: weekly lunch money"


def seed(users: dict) -> None:
    alice, bob = users["alice"], users["bob"]
    if StandingOrder.objects.filter(user=alice, description=DESCRIPTION).exists():
        return
    standing_order_create(
        user=alice,
        recipient_id=bob.pk,
        amount=Decimal("5.00"),
        frequency=StandingOrder.Frequency.WEEKLY,
        start_date=timezone.now().date(),
        description=DESCRIPTION,
    )
