"""A statement of 100,000 movements streams: the response is produced a batch at a time from a
cursor, never as one string or one list of rows."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction

from bench.infra.load import (
    _insert_entries,
    _insert_status_changes,
    _insert_transactions,
    _max_id,
    _numbers,
    _plan_table,
    _raise_caches,
    _sync_sequences,
    _ts,
)
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, LedgerEntry
from comrade.ledger.services import system_account
from comrade.statements.renderers.text import BATCH

pytestmark = pytest.mark.django_db
# 100,000 rows on SQLite. On PostgreSQL the deferred balanced-journal trigger re-checks every bulk
# entry at the test's commit, which takes minutes for 100,000 on this machine, so the PostgreSQL
# pass streams 5,000 (the streaming code path is the same; the size is what SQLite proves).
ROWS = 100_000 if connection.vendor == "sqlite" else 5_000
WALLET = "/payments/payment-profiles/statement/"


def load_fundings(user, count: int, moment: dt.datetime) -> None:
    """`count` fundings of 0.01 into the user's wallet, written in bulk with the benchmark loader
    (balanced entries, running `balance_after`, raised caches), all at `moment`."""
    funding = system_account(LedgerAccount.Kind.FUNDING).pk
    wallet = user.payment_profile.account_id
    with transaction.atomic(), connection.cursor() as cursor:
        _numbers(cursor, count)
        _plan_table(cursor)
        cursor.execute(
            "INSERT INTO bench_plan SELECT n, %s, %s, %s, %s, 1, 'FUNDING', %s FROM bench_n",
            [user.pk, user.pk, funding, wallet, _ts(moment)],
        )
        post_plan(cursor)


def post_plan(cursor) -> None:
    """bench.infra.load.post_plan, with fresh statistics before and after the entries are written:
    in a new test database PostgreSQL would otherwise take 100,000 new rows for a handful."""
    base_t, base_s = _max_id(cursor, "ledger_transactiontoken"), _max_id(cursor, "ledger_transactionstatuschange")
    base_e = _max_id(cursor, "ledger_ledgerentry")
    _insert_transactions(cursor, base_t, "Bulk funding", settings.DEFAULT_CURRENCY)
    _insert_status_changes(cursor, base_t, base_s)
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE ledger_transactiontoken")
    _insert_entries(cursor, base_t, base_e)
    if connection.vendor == "postgresql":
        # The deferred balanced-journal trigger checks each new entry at commit with an index
        # lookup by transaction; without statistics the planner would scan the table per row.
        cursor.execute("ANALYZE ledger_ledgerentry")
    _raise_caches(cursor)
    _sync_sequences(cursor)


@pytest.fixture
def busy(make_user):
    user = make_user()
    load_fundings(user, ROWS, dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC))
    assert LedgerEntry.objects.filter(account=user.payment_profile.account).count() == ROWS
    return user


def streamed(response) -> tuple[int, int, int]:
    """(chunks, lines, largest chunk in bytes), read one chunk at a time."""
    chunks = lines = largest = 0
    for chunk in response.streaming_content:
        chunks += 1
        lines += chunk.count(b"\n")
        largest = max(largest, len(chunk))
    return chunks, lines, largest


def test_a_csv_of_100000_movements_streams_and_a_pdf_of_them_is_refused(busy, client_for, settings):
    settings.STATEMENT_PDF_MAX_ROWS = min(settings.STATEMENT_PDF_MAX_ROWS, ROWS - 1)
    response = client_for(busy).get(WALLET, {"date_from": "2026-03-01", "date_to": "2026-03-31", "format": "csv"})

    assert response.status_code == 200
    assert response.streaming
    chunks, lines, largest = streamed(response)
    assert lines == ROWS + 1
    assert chunks >= ROWS // BATCH
    assert largest < 100_000
    pdf = client_for(busy).get(WALLET, {"date_from": "2026-03-01", "date_to": "2026-03-31", "format": "pdf"})
    assert pdf.status_code == 400
    assert pdf.json()["code"] == "statement_too_large"


def test_a_json_statement_of_100000_movements_streams_and_adds_up(busy, client_for):
    response = client_for(busy).get(WALLET, {"date_from": "2026-03-01", "date_to": "2026-03-31"})

    assert response.streaming
    parts = list(response.streaming_content)
    assert len(parts) >= ROWS // BATCH
    data = json.loads(b"".join(parts))
    assert len(data["movements"]) == ROWS
    assert data["opening_balance"] == "0.00"
    total = Decimal(ROWS) / 100  # ROWS fundings of 0.01
    assert data["movements"][-1]["balance"] == data["closing_balance"] == f"{total:.2f}"
    assert sum(Decimal(m["amount"]) for m in data["movements"]) == total
    assert run_all() == []
