"""core/bulk: the batch paths' helpers give what the ORM gives."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from comrade.core.bulk import any_of, column_values, insert_objects, pg_array
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.standing_orders.tests.factories import StandingOrderFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_what_an_in_list_selects():
    accounts = [LedgerAccount.objects.create(kind="WALLET", code=f"bulk:{n}") for n in range(3)]
    wanted = [accounts[0].pk, accounts[2].pk]
    where, params = any_of("id", wanted)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ledger_ledgeraccount WHERE {where} ORDER BY id", params)
        assert [row[0] for row in cursor.fetchall()] == wanted


def test_any_of_with_dates(make_user):
    today = timezone.now().date()
    days = [today + timedelta(days=n) for n in (1, 2, 3)]
    orders = [StandingOrderFactory(user=make_user(), recipient=make_user(), start_date=day) for day in days]
    where, params = any_of("start_date", [days[0], days[2]], "date")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM standing_orders_standingorder WHERE {where} ORDER BY id", params)
        assert [row[0] for row in cursor.fetchall()] == [orders[0].pk, orders[2].pk]


def test_pg_array_literal():
    assert pg_array([1, 22, 333]) == "{1,22,333}"
    assert pg_array([Decimal("-1.50"), Decimal("2.00")]) == "{-1.50,2.00}"
    assert pg_array([date(2026, 1, 31)]) == "{2026-01-31}"
    assert pg_array([]) == "{}"


def test_column_values_with_one_timestamp_is_what_pre_save_gives_but_the_stamps(make_user):
    user = make_user()
    fields = [f for f in TransactionToken._meta.concrete_fields if not f.primary_key]
    now = timezone.now() - timedelta(hours=1)
    one = TransactionToken(sender=user, receiver=user, amount=Decimal("1.00"), status="PENDING", metadata={"n": 1})
    other = TransactionToken(sender=user, receiver=user, amount=Decimal("1.00"), status="PENDING", metadata={"n": 1})
    other.token = one.token
    stamped = column_values([one], fields, now=now)[0]
    prepared = column_values([other], fields)[0]
    names = [f.attname for f in fields]
    for name, a, b in zip(names, stamped, prepared, strict=True):
        if name in ("created_at", "updated_at"):
            assert a == now and b != now
        else:
            assert a == b, name
    assert one.created_at == one.updated_at == now


def test_insert_objects_sets_ids_and_stores_the_rows(make_user):
    user = make_user()
    txns = [
        TransactionToken(sender=user, receiver=user, amount=Decimal(n), status="PENDING", description=f"bulk {n}")
        for n in (1, 2)
    ]
    insert_objects(txns, now=timezone.now())
    assert all(t.pk and not t._state.adding for t in txns)
    stored = TransactionToken.objects.filter(pk__in=[t.pk for t in txns]).order_by("pk")
    assert [(t.description, t.amount) for t in stored] == [("bulk 1", Decimal("1.00")), ("bulk 2", Decimal("2.00"))]
