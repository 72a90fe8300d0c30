"""The statement endpoints through HTTP: formats, access, and 400s that name the field."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import override_settings
from pypdf import PdfReader

from comrade.groups.services import group_payout

pytestmark = pytest.mark.django_db
WALLET = "/payments/payment-profiles/statement/"


def group_url(group) -> str:
    return f"/payments/payment-groups/{group.pk}/statement/"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def as_json(response) -> dict:
    return json.loads(body(response))


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body(response))).pages)


@pytest.fixture
def history(alice, bob, fund, send):
    fund(alice, "100.00", 2026, 3, 1, 10)
    send(alice, bob, "30.00", 2026, 3, 5, 9, description='=HYPERLINK("http://evil")')
    send(bob, alice, "12.50", 2026, 3, 6, 15, description='Lunch, with "quotes"')
    send(alice, bob, "7.25", 2026, 3, 11, 8)


MARCH = {"date_from": "2026-03-02", "date_to": "2026-03-10"}


def test_wallet_statement_json(history, client_for, alice):
    response = client_for(alice).get(WALLET, MARCH)

    assert response.status_code == 200 and response.streaming
    data = as_json(response)
    assert data["account"] == "alice@example.com"
    assert (data["date_from"], data["date_to"]) == ("2026-03-02", "2026-03-10")
    assert (data["opening_balance"], data["closing_balance"]) == ("100.00", "82.50")
    assert [(m["amount"], m["balance"], m["counterparty"]) for m in data["movements"]] == [
        ("-30.00", "70.00", "bob@example.com"),
        ("12.50", "82.50", "bob@example.com"),
    ]
    assert data["movements"][0]["created_at"] == "2026-03-05T09:00:00Z"
    assert data["movements"][0]["type"] == "TRANSFER"
    assert data["movements"][0]["token"].startswith("TXN-")
    assert "member_totals" not in data


def test_wallet_statement_csv_opens_as_one_table(history, client_for, alice):
    response = client_for(alice).get(WALLET, {**MARCH, "format": "csv"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="wallet-statement-2026-03-02-2026-03-10.csv"'
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert rows[0] == ["date", "time", "token", "type", "description", "counterparty", "amount", "balance"]
    assert [(r[0], r[1], r[3], r[6], r[7]) for r in rows[1:]] == [
        ("2026-03-05", "09:00:00", "TRANSFER", "-30.00", "70.00"),
        ("2026-03-06", "15:00:00", "TRANSFER", "12.50", "82.50"),
    ]
    assert rows[1][4] == '\'=HYPERLINK("http://evil")'
    assert rows[2][4] == 'Lunch, with "quotes"'
    assert all(Decimal(r[6]) and Decimal(r[7]) for r in rows[1:])


def test_wallet_statement_pdf_text(history, client_for, alice):
    response = client_for(alice).get(WALLET, {**MARCH, "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="wallet-statement-2026-03-02-2026-03-10.pdf"'
    text = pdf_text(response)
    for expected in (
        "Wallet statement",
        "alice@example.com",
        "2026-03-02 to 2026-03-10",
        "Opening balance: 100.00 USD",
        "-30.00",
        "70.00",
        "82.50",
        "Closing balance: 82.50 USD",
        "Page 1",
    ):
        assert expected in text, expected
    assert "-7.25" not in text


def test_a_long_pdf_numbers_every_page(alice, bob, fund, send, client_for):
    fund(alice, "500.00", 2026, 3, 1, 10)
    for minute in range(60):
        send(alice, bob, "1.00", 2026, 3, 2, 10, minute)

    response = client_for(alice).get(WALLET, {"date_from": "2026-03-01", "date_to": "2026-03-02", "format": "pdf"})

    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) >= 2
    assert [f"Page {n}" in page.extract_text() for n, page in enumerate(pages, 1)] == [True] * len(pages)
    assert "Closing balance: 440.00 USD" in pages[-1].extract_text()


@override_settings(STATEMENT_PDF_MAX_ROWS=1)
def test_a_pdf_beyond_its_row_cap_is_refused_naming_format(history, client_for, alice):
    response = client_for(alice).get(WALLET, {**MARCH, "format": "pdf"})

    assert response.status_code == 400
    assert response.json()["code"] == "statement_too_large"
    assert "format" in response.json()["fields"]


def test_balance_at_a_date_or_a_moment(history, client_for, alice):
    client = client_for(alice)

    on_day = client.get(WALLET, {"at": "2026-03-05"})
    before = client.get(WALLET, {"at": "2026-03-05T08:59:59Z"})
    naive = client.get(WALLET, {"at": "2026-03-05T09:00:00"})
    offset = client.get(WALLET, {"at": "2026-03-05T10:30:00+02:00"})

    assert on_day.status_code == 200
    assert on_day.json()["balance"] == "70.00" and on_day.json()["currency"] == "USD"
    assert before.json()["balance"] == "100.00"
    assert naive.json()["balance"] == "70.00"
    assert offset.json()["balance"] == "100.00"


def test_the_wallet_statement_is_only_ever_the_callers(history, client_for, bob):
    """No parameter names a wallet; a stray one is ignored, never obeyed."""
    response = client_for(bob).get(WALLET, {**MARCH, "user": "1", "account": "1"})

    data = as_json(response)
    assert data["account"] == "bob@example.com"
    assert [m["amount"] for m in data["movements"]] == ["30.00", "-12.50"]


def test_anonymous_callers_are_refused(client_for):
    assert client_for().get(WALLET).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
        ({"date_from": "2025-01-01", "date_to": "2026-01-02"}, "date_to"),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "date_to"),
        ({"format": "xml"}, "format"),
        ({"at": "soon"}, "at"),
        ({"at": "2026-02-30"}, "at"),
        ({"at": ""}, "at"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, alice, params, field):
    response = client_for(alice).get(WALLET, params)

    assert response.status_code == 400, body(response)
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["fields"]


def test_a_range_of_exactly_the_maximum_is_allowed(client_for, alice):
    response = client_for(alice).get(WALLET, {"date_from": "2025-01-01", "date_to": "2026-01-01"})

    assert response.status_code == 200
    assert as_json(response)["movements"] == []


@override_settings(STATEMENT_MAX_DAYS=7)
def test_the_maximum_comes_from_settings(client_for, alice):
    response = client_for(alice).get(WALLET, {"date_from": "2026-03-01", "date_to": "2026-03-08"})

    assert response.status_code == 400
    assert "at most 7 days" in response.json()["message"]


@pytest.fixture
def pot_history(group, alice, bob, fund, contribute, on):
    fund(alice, "100.00", 2026, 4, 1, 8)
    fund(bob, "50.00", 2026, 4, 1, 8)
    contribute(group, alice, "40.00", 2026, 4, 2, 9)
    contribute(group, bob, "25.00", 2026, 4, 3, 9)
    with on(2026, 4, 4, 9):
        assert group_payout(group=group, admin=alice, member_user=bob, amount=Decimal("10.00")).status == "COMPLETED"


APRIL = {"date_from": "2026-04-01", "date_to": "2026-04-30"}


def test_group_statement_json_for_a_member(pot_history, group, client_for, alice, bob):
    response = client_for(bob).get(group_url(group), APRIL)

    assert response.status_code == 200
    data = as_json(response)
    assert data["kind"] == "group" and data["account"] == "Harambee"
    assert (data["opening_balance"], data["closing_balance"]) == ("0.00", "55.00")
    assert [(m["type"], m["amount"], m["balance"]) for m in data["movements"]] == [
        ("CONTRIBUTION", "40.00", "40.00"),
        ("CONTRIBUTION", "25.00", "65.00"),
        ("PAYOUT", "-10.00", "55.00"),
    ]
    assert data["member_totals"] == [
        {"user_id": alice.pk, "email": "alice@example.com", "contributed": "40.00", "received": "0.00"},
        {"user_id": bob.pk, "email": "bob@example.com", "contributed": "25.00", "received": "10.00"},
    ]
    assert data["sections"] == []


def test_group_statement_csv_and_pdf(pot_history, group, client_for, alice):
    client = client_for(alice)

    csv_response = client.get(group_url(group), {**APRIL, "format": "csv"})
    pdf_response = client.get(group_url(group), {**APRIL, "format": "pdf"})

    rows = list(csv.reader(io.StringIO(body(csv_response).decode("utf-8-sig"))))
    assert csv_response["Content-Disposition"] == 'attachment; filename="group-statement-2026-04-01-2026-04-30.csv"'
    assert [(r[3], r[5], r[6], r[7]) for r in rows[1:]] == [
        ("CONTRIBUTION", "alice@example.com", "40.00", "40.00"),
        ("CONTRIBUTION", "bob@example.com", "25.00", "65.00"),
        ("PAYOUT", "bob@example.com", "-10.00", "55.00"),
    ]
    text = pdf_text(pdf_response)
    for expected in ("Group statement", "Harambee", "Closing balance: 55.00 USD", "Member totals", "bob@example.com"):
        assert expected in text, expected


def test_group_statement_is_404_for_others_and_for_unknown_groups(pot_history, group, client_for, make_user):
    outsider = client_for(make_user())

    assert outsider.get(group_url(group)).status_code == 404
    assert outsider.get(group_url(group), {"format": "csv"}).status_code == 404
    assert outsider.get("/payments/payment-groups/999999/statement/").status_code == 404


def test_group_statement_bad_input_is_a_400(group, client_for, alice):
    response = client_for(alice).get(group_url(group), {"date_from": "2026-05-02", "date_to": "2026-05-01"})

    assert response.status_code == 400
    assert "date_to" in response.json()["fields"]


def test_group_statement_shows_dues_and_arrears_as_the_dues_endpoint_does(group, alice, bob, fund, client_for):
    """The admin sees every member's dues; a member only their own."""
    import datetime as dt

    from django.utils import timezone

    from comrade.groups.services import group_contribute
    from comrade.groups.services.dues import ScheduleTerms, dues_obligations_create, dues_schedule_set

    today = timezone.localdate()
    terms = ScheduleTerms(amount=Decimal("20.00"), frequency="MONTHLY", first_due_date=today)
    dues_schedule_set(group=group, admin=alice, terms=terms)
    dues_obligations_create(now=timezone.now())
    fund(bob, "50.00", today.year, today.month, today.day, 0)
    group_contribute(group=group, user=bob, amount=Decimal("25.00"))
    period = {"date_from": (today - dt.timedelta(days=1)).isoformat(), "date_to": today.isoformat()}

    admin_view = as_json(client_for(alice).get(group_url(group), period))["sections"]
    member_view = as_json(client_for(bob).get(group_url(group), period))["sections"]
    pdf = pdf_text(client_for(alice).get(group_url(group), {**period, "format": "pdf"}))

    [dues] = admin_view
    assert dues["key"] == "dues" and dues["title"] == "Dues and arrears"
    rows = {row["member"]: row for row in dues["rows"]}
    assert rows["bob@example.com"] == {
        "member": "bob@example.com",
        "paid": "20.00",
        "balance_due": "0.00",
        "arrears": "0.00",
        "credit": "5.00",
    }
    assert rows["alice@example.com"]["balance_due"] == "20.00"
    assert [row["member"] for row in member_view[0]["rows"]] == ["bob@example.com"]
    assert "Dues and arrears" in pdf
