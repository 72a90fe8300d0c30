"""History of standing orders (django-pghistory, PostgreSQL only): every change of the terms is
kept with who made it, for disputes; the scheduler's bookkeeping is not."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from pghistory.models import Events

from comrade.standing_orders.models import StandingOrder, StandingOrderEvent
from comrade.standing_orders.tests.factories import StandingOrderFactory
from comrade.standing_orders.tests.test_api import URL, body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_changing_the_amount_keeps_the_old_and_new_values_and_who_did_it(api, user, make_user):
    created = api.post(URL, body(make_user())).data
    assert api.patch(f"{URL}{created['id']}/", {"amount": "30.00"}).status_code == 200

    events = list(StandingOrderEvent.objects.filter(pgh_obj_id=created["id"]).order_by("pgh_id"))
    assert [(e.pgh_label, e.amount) for e in events] == [("insert", Decimal("25.00")), ("update", Decimal("30.00"))]
    assert events[1].pgh_context.metadata == {"user": user.pk, "url": f"{URL}{created['id']}/"}
    [update] = Events.objects.tracks(StandingOrder.objects.get(pk=created["id"])).filter(pgh_label="update")
    assert list(update.pgh_diff) == ["amount"]  # JSON numbers: 25.0 -> 30.0
    assert [Decimal(str(value)) for value in update.pgh_diff["amount"]] == [Decimal("25"), Decimal("30")]


def test_the_schedulers_bookkeeping_writes_no_history():
    order = StandingOrderFactory()
    before = StandingOrderEvent.objects.filter(pgh_obj=order).count()
    StandingOrder.objects.filter(pk=order.pk).update(last_executed=order.next_execution)
    assert StandingOrderEvent.objects.filter(pgh_obj=order).count() == before == 1


@pytest.mark.django_db(transaction=True)
def test_orders_that_exist_when_history_starts_get_a_baseline():
    order = StandingOrderFactory(amount=Decimal("12.00"))
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("standing_orders")
    executor.migrate([("standing_orders", "0001_initial")])
    MigrationExecutor(connection).migrate(latest)

    [baseline] = StandingOrderEvent.objects.filter(pgh_obj=order)
    assert (baseline.pgh_label, baseline.amount, baseline.user_id) == ("baseline", Decimal("12.00"), order.user_id)
