import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.gateways.services import external_transaction_create
from comrade.ledger.models import TransactionToken
from comrade.transfers.services import transfer_create

pytestmark = pytest.mark.django_db
URL = reverse("wallet:history")


@pytest.fixture
def story(make_user):
    me = make_user(balance="100.00", first_name="Amina", last_name="Otieno")
    friend = make_user(balance="20.00", first_name="Kim", last_name="Lee")
    stranger = make_user(balance="5.00")
    transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal("12.50"), description="Lunch")
    transfer_create(sender=friend, receiver_id=me.pk, amount=Decimal("3.00"))
    external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("40.00"), provider="sandbox")
    transfer_create(sender=stranger, receiver_id=friend.pk, amount=Decimal("1.00"))
    return me, friend, stranger


def test_history_lists_own_rows_grouped_by_day_with_words_and_signs(web_client, story):
    me, friend, _ = story
    page = web_client(me).get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    rows = [row for _, day in page.context["days"] for row in day]
    assert [(r.word, r.signed_amount, r.status_word) for r in rows] == [
        ("Top-up", Decimal("40.00"), "Pending"),
        ("Received", Decimal("3.00"), "Completed"),
        ("Sent", Decimal("-12.50"), "Completed"),
        ("Funding", Decimal("100.00"), "Completed"),
    ]
    assert "USD \u221212.50" in html and "Money out" in html and "Money in" in html
    assert "Kim Lee" in html and 'class="chip pending"' in html
    assert len(page.context["days"]) == 1


def test_filters_are_the_api_filters(web_client, story):
    me = story[0]
    client = web_client(me)
    rows = lambda page: [r.word for _, day in page.context["days"] for r in day]  # noqa: E731
    assert rows(client.get(URL, {"status": "PENDING"})) == ["Top-up"]
    assert rows(client.get(URL, {"transaction_type": "TRANSFER"})) == ["Received", "Sent"]
    today = dt.date.today()
    assert rows(client.get(URL, {"date_to": (today - dt.timedelta(days=3)).isoformat()})) == []
    assert len(rows(client.get(URL, {"date_from": today.isoformat()}))) == 4


@pytest.mark.parametrize(
    "params", [{"status": "BOGUS"}, {"date_from": "yesterday"}, {"created_after": "9999-12-31T23:59:59-23:00"}]
)
def test_a_bad_filter_is_shown_next_to_the_field_never_a_500(web_client, story, params):
    page = web_client(story[0]).get(URL, params)
    assert page.status_code == 200
    assert "There is a problem" in page.content.decode()
    assert page.context["days"] == []


def test_cursor_paging_newest_first(web_client, make_user):
    me = make_user(balance="100.00")
    friend = make_user()
    for cents in range(1, 6):
        transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal(cents))
    client = web_client(me)
    first = client.get(URL, {"limit": 2})
    amounts = lambda page: [r.signed_amount for _, day in page.context["days"] for r in day]  # noqa: E731
    assert amounts(first) == [Decimal("-5"), Decimal("-4")]
    second = client.get(first.context["next_url"])
    assert amounts(second) == [Decimal("-3"), Decimal("-2")]
    assert second.context["previous_url"]
    assert client.get(URL, {"cursor": "garbage"}).status_code == 404


def test_csv_holds_the_filtered_rows(web_client, story):
    me = story[0]
    answer = web_client(me).get(reverse("wallet:history_csv"), {"transaction_type": "TRANSFER"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert lines[0] == [
        "date",
        "time",
        "reference",
        "type",
        "counterparty",
        "description",
        "amount",
        "currency",
        "status",
    ]
    body = [(line[3], line[4], line[5], line[6], line[8]) for line in lines[1:]]
    assert body == [
        ("Received", "Kim Lee", "", "3.00", "Completed"),
        ("Sent", "Kim Lee", "Lunch", "-12.50", "Completed"),
    ]
    tokens = {line[2] for line in lines[1:]}
    assert tokens == set(
        TransactionToken.objects.filter(
            transaction_type="TRANSFER", sender__in=[me, story[1]], receiver__in=[me, story[1]]
        ).values_list("token", flat=True)
    )


def test_csv_defuses_formulas(web_client, make_user):
    me = make_user(balance="10.00")
    friend = make_user()
    transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal("1.00"), description="=HYPERLINK(1)")
    answer = web_client(me).get(reverse("wallet:history_csv"))
    assert "'=HYPERLINK(1)" in b"".join(answer.streaming_content).decode()


def test_the_statement_is_the_statements_app_pdf_of_my_wallet(web_client, story):
    answer = web_client(story[0]).get(reverse("wallet:statement_pdf"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert "wallet-statement-" in answer["Content-Disposition"]


def test_the_statement_csv_has_my_movements_only(web_client, story):
    me, friend, _ = story
    answer = web_client(me).get(reverse("wallet:statement_csv"))
    text = b"".join(answer.streaming_content).decode()
    assert "12.50" in text and friend.email in text
    assert "1.00" not in text.replace("100.00", "")  # the stranger's payment to the friend is not mine


def test_a_bad_statement_period_is_a_message_not_a_500(web_client, story):
    answer = web_client(story[0]).get(
        reverse("wallet:statement_pdf"), {"date_from": "2020-01-01", "date_to": "2019-01-01"}, follow=True
    )
    assert answer.status_code == 200
    assert "date_to must not be before date_from" in answer.content.decode()


def test_empty_history_says_what_will_appear(web_client, make_user):
    html = web_client(make_user()).get(URL).content.decode()
    assert "No transactions yet" in html
