from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.ledger.models import LedgerEntry
from comrade.ledger.selectors import profile_for
from comrade.transfers.services import transfer_create
from comrade.web.wallet.queries import balance_chart

pytestmark = pytest.mark.django_db
URL = reverse("wallet:home")


def test_a_new_user_sees_an_empty_state_with_one_action(web_client, make_user):
    page = web_client(make_user()).get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "USD 0.00" in html and "Nothing here yet" in html
    assert reverse("wallet:top_up") in html
    assert "<svg" not in html
    assert page.context["chart"] is None and page.context["recent"] == []


def test_home_shows_balance_totals_and_the_last_five(web_client, make_user):
    me = make_user(balance="100.00")
    friend = make_user(balance="50.00", first_name="Kim", last_name="Lee")
    for amount in ("10.00", "5.00", "2.50"):
        transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal(amount))
    for amount in ("1.00", "3.00"):
        transfer_create(sender=friend, receiver_id=me.pk, amount=Decimal(amount))
    page = web_client(me).get(URL)
    html = page.content.decode()
    profile = profile_for(me)
    assert profile.comrade_balance == Decimal("86.50")
    assert "USD 86.50" in html
    assert page.context["profile"].total_sent == Decimal("17.50")
    assert page.context["profile"].total_received == Decimal("104.00")  # funding 100 + 1 + 3
    assert 'id="total-sent">USD 17.50' in html and 'id="total-received">USD 104.00' in html
    recent = page.context["recent"]
    assert len(recent) == 5
    assert [r.word for r in recent] == ["Received", "Received", "Sent", "Sent", "Sent"]
    assert [r.signed_amount for r in recent] == [
        Decimal("3.00"),
        Decimal("1.00"),
        Decimal("-2.50"),
        Decimal("-5.00"),
        Decimal("-10.00"),
    ]
    assert "USD \u221210.00" in html and "Money out" in html and "Kim Lee" in html


def test_the_chart_follows_the_ledger_rows(web_client, make_user):
    me = make_user(balance="100.00")
    friend = make_user()
    transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal("40.00"))
    transfer_create(sender=friend, receiver_id=me.pk, amount=Decimal("15.00"))
    page = web_client(me).get(URL)
    chart = page.context["chart"]
    account = profile_for(me).account_id
    rows = list(
        LedgerEntry.objects.filter(account_id=account).order_by("id").values_list("created_at", "balance_after")
    )
    assert [(p.at, p.balance) for p in chart.points] == rows
    assert [p.balance for p in chart.points] == [Decimal("100.00"), Decimal("60.00"), Decimal("75.00")]
    # highest balance at the top, zero at the bottom, left to right in time
    assert chart.points[0].y < chart.points[2].y < chart.points[1].y
    assert chart.points[0].x < chart.points[1].x < chart.points[2].x
    html = page.content.decode()
    assert 'role="img"' in html and 'aria-labelledby="chart-caption"' in html
    assert chart.opening == Decimal("0.00")
    assert "from USD 0.00 to USD 75.00" in html and "highest was USD 100.00" in html
    assert html.count("<tr><td>") >= 3  # the figures as a table


def test_the_chart_keeps_the_last_points_only(make_user):
    me = make_user(balance="100.00")
    friend = make_user()
    for _ in range(5):
        transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal("1.00"))
    chart = balance_chart(profile_for(me).account_id, limit=3)
    assert [p.balance for p in chart.points] == [Decimal("97.00"), Decimal("96.00"), Decimal("95.00")]
    assert chart.opening == Decimal("98.00")
    assert chart.path.startswith("M0,") and chart.path.endswith(f"H{chart.width}")


def test_coming_up_shows_the_next_standing_order(web_client, make_user):
    import datetime as dt

    from django.utils import timezone

    from comrade.standing_orders.models import StandingOrder

    me = make_user(balance="10.00")
    friend = make_user(first_name="Ana", last_name="Diaz")
    soon = timezone.now() + dt.timedelta(days=2)
    StandingOrder.objects.create(
        user=me,
        recipient=friend,
        amount=Decimal("7.00"),
        frequency="MONTHLY",
        start_date=soon.date(),
        next_scheduled_for=soon.date(),
        next_execution=soon,
    )
    html = web_client(me).get(URL).content.decode()
    assert "Coming up" in html and "USD 7.00" in html and "Ana Diaz" in html


def test_pending_top_ups_show_apart_from_the_available_balance(web_client, make_user):
    from comrade.gateways.services import external_transaction_create

    me = make_user(balance="10.00")
    external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("25.00"), provider="sandbox")
    page = web_client(me).get(URL)
    html = page.content.decode()
    assert page.context["waiting"].incoming == Decimal("25.00")
    assert "Top-ups on the way" in html and "USD 25.00" in html and 'id="balance">USD 10.00' in html
