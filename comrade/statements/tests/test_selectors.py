"""Statements read from real ledger postings made through the services."""

import datetime as dt
from decimal import Decimal

import pytest

from comrade.groups.services import group_payout
from comrade.ledger.models import LedgerEntry
from comrade.ledger.selectors import balance_of
from comrade.statements import sections
from comrade.statements.params import query_period
from comrade.statements.sections import Section
from comrade.statements.selectors import balance_at, group_statement, wallet_statement

pytestmark = pytest.mark.django_db


def period(date_from: str, date_to: str):
    return query_period({"date_from": date_from, "date_to": date_to})


@pytest.fixture
def history(alice, bob, fund, send):
    """alice: 100 in on 1 March; 30 to bob on 5 March; 12.50 back on 6 March; 7.25 to bob on 11 March."""
    fund(alice, "100.00", 2026, 3, 1, 10)
    send(alice, bob, "30.00", 2026, 3, 5, 9, description="Rent share")
    send(bob, alice, "12.50", 2026, 3, 6, 15, description="Lunch")
    send(alice, bob, "7.25", 2026, 3, 11, 8)


def test_opening_running_and_closing_balances_come_from_the_ledger(history, alice):
    statement = wallet_statement(alice, period("2026-03-02", "2026-03-10"))

    rows = list(statement.movements())

    assert statement.opening_balance == Decimal("100.00")
    assert [(r.type, r.amount, r.balance) for r in rows] == [
        ("TRANSFER", Decimal("-30.00"), Decimal("70.00")),
        ("TRANSFER", Decimal("12.50"), Decimal("82.50")),
    ]
    assert [r.counterparty for r in rows] == ["bob@example.com", "bob@example.com"]
    assert [r.description for r in rows] == ["Rent share", "Lunch"]
    assert rows[0].created_at == dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
    assert statement.closing_balance == Decimal("82.50")
    assert statement.opening_balance + sum(r.amount for r in rows) == statement.closing_balance


def test_a_statement_from_the_first_day_opens_at_zero_and_names_no_counterparty_for_funding(history, alice):
    statement = wallet_statement(alice, period("2026-03-01", "2026-03-31"))

    rows = list(statement.movements())

    assert statement.opening_balance == Decimal("0.00")
    assert [r.balance for r in rows] == [Decimal("100.00"), Decimal("70.00"), Decimal("82.50"), Decimal("75.25")]
    assert rows[0].type == "FUNDING" and rows[0].counterparty == ""
    assert statement.closing_balance == Decimal("75.25")


def test_a_period_without_movements_closes_at_its_opening_balance(history, alice):
    statement = wallet_statement(alice, period("2026-03-07", "2026-03-10"))

    assert list(statement.movements()) == []
    assert statement.count() == 0
    assert statement.opening_balance == statement.closing_balance == Decimal("82.50")


def test_the_days_are_whole_utc_days(history, alice):
    """The 5 March 09:00 transfer is in a statement of 5 March only, and not in one ending 4 March."""
    only_fifth = wallet_statement(alice, period("2026-03-05", "2026-03-05"))
    until_fourth = wallet_statement(alice, period("2026-03-01", "2026-03-04"))

    assert [r.amount for r in only_fifth.movements()] == [Decimal("-30.00")]
    assert [r.amount for r in until_fourth.movements()] == [Decimal("100.00")]


def test_balance_at_any_moment(history, alice):
    account = alice.payment_profile.account.pk

    assert balance_at(account, dt.datetime(2026, 2, 28, tzinfo=dt.UTC)) == Decimal("0.00")
    assert balance_at(account, dt.datetime(2026, 3, 5, 8, 59, 59, tzinfo=dt.UTC)) == Decimal("100.00")
    assert balance_at(account, dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)) == Decimal("70.00")
    assert balance_at(account, dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == balance_of(alice) == Decimal("75.25")


def test_a_wallet_statement_holds_only_the_callers_entries(history, alice, bob):
    statement = wallet_statement(bob, period("2026-03-01", "2026-03-31"))

    rows = list(statement.movements())

    assert [r.amount for r in rows] == [Decimal("30.00"), Decimal("-12.50"), Decimal("7.25")]
    tokens = {r.token for r in rows}
    bob_entries = LedgerEntry.objects.filter(account=bob.payment_profile.account)
    assert tokens == set(bob_entries.values_list("transaction__token", flat=True))
    assert [r.counterparty for r in rows] == ["alice@example.com"] * 3


def test_group_statement_has_the_pot_movements_and_member_totals(group, alice, bob, fund, contribute, on):
    fund(alice, "100.00", 2026, 4, 1, 8)
    fund(bob, "50.00", 2026, 4, 1, 8)
    contribute(group, alice, "40.00", 2026, 4, 2, 9)
    contribute(group, bob, "25.00", 2026, 4, 3, 9)
    with on(2026, 4, 4, 9):
        payout = group_payout(group=group, admin=alice, member_user=bob, amount=Decimal("10.00"))
    assert payout.status == "COMPLETED"

    statement = group_statement(group, period("2026-04-01", "2026-04-30"))

    rows = list(statement.movements())
    assert [(r.type, r.amount, r.balance, r.counterparty) for r in rows] == [
        ("CONTRIBUTION", Decimal("40.00"), Decimal("40.00"), "alice@example.com"),
        ("CONTRIBUTION", Decimal("25.00"), Decimal("65.00"), "bob@example.com"),
        ("PAYOUT", Decimal("-10.00"), Decimal("55.00"), "bob@example.com"),
    ]
    group.pot.refresh_from_db()
    assert statement.closing_balance == group.pot.balance == Decimal("55.00")
    totals = [(t.email, t.contributed, t.received) for t in statement.member_totals]
    assert totals == [
        ("alice@example.com", Decimal("40.00"), Decimal("0.00")),
        ("bob@example.com", Decimal("25.00"), Decimal("10.00")),
    ]
    assert statement.sections == []


def test_member_totals_count_only_the_period_and_list_quiet_members(group, alice, bob, fund, contribute):
    fund(alice, "100.00", 2026, 4, 1, 8)
    contribute(group, alice, "40.00", 2026, 4, 2, 9)
    contribute(group, alice, "5.00", 2026, 5, 2, 9)

    statement = group_statement(group, period("2026-05-01", "2026-05-31"))

    assert statement.opening_balance == Decimal("40.00")
    assert [(t.email, t.contributed, t.received) for t in statement.member_totals] == [
        ("alice@example.com", Decimal("5.00"), Decimal("0.00")),
        ("bob@example.com", Decimal("0.00"), Decimal("0.00")),
    ]


def test_extra_sections_come_from_the_one_extension_point(group, monkeypatch):
    dues = Section(key="dues", title="Dues and arrears", columns=["member", "owed"], rows=[["bob", "5.00"]])
    monkeypatch.setattr(sections, "group_statement_extra_sections", lambda group, *, period, viewer=None: [dues])
    from comrade.statements import selectors

    monkeypatch.setattr(selectors, "group_statement_extra_sections", sections.group_statement_extra_sections)

    assert group_statement(group, period("2026-05-01", "2026-05-31")).sections == [dues]
