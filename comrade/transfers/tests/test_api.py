from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import UserRateThrottle

from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
URL = "/payments/transactions/create_transaction/"


def body(receiver, amount="25.00", **extra):
    return {
        "receiver_id": receiver.pk,
        "amount": amount,
        "payment_method": "INTERNAL",
        "transaction_type": "TRANSFER",
        "description": "Lunch money",
        "metadata": {},
        **extra,
    }


@pytest.fixture
def bob(make_user):
    return make_user()


def test_transfer_runs_the_four_steps_and_moves_money(api, user, bob):
    response = api.post(URL, body(bob))
    assert response.status_code == 201, response.data
    data = response.data
    assert data["status"] == "COMPLETED" and data["amount"] == "25.00"
    assert data["token"].startswith("TXN-") and data["sender"] == user.pk and data["receiver"] == bob.pk
    assert [s["status"] for s in data["status_history"]] == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert data["verification_date"] is not None
    assert balance_of(user) == Decimal("75.00") and balance_of(bob) == Decimal("25.00")
    txn = TransactionToken.objects.get(token=data["token"])
    assert sorted(e.amount for e in txn.entries.all()) == [Decimal("-25.00"), Decimal("25.00")]
    profile = api.get("/payments/payment-profiles/my_profile/").data
    assert profile["total_sent"] == "25.00" and profile["total_received"] == "100.00"
    assert run_all() == []


def test_insufficient_funds_records_failed_attempt_and_moves_nothing(api, user, bob):
    response = api.post(URL, body(bob, amount="100.01"))
    assert response.status_code == 400
    assert response.data["code"] == "insufficient_funds"
    assert response.data["transaction"]["status"] == "FAILED"
    txn = TransactionToken.objects.get(token=response.data["transaction"]["token"])
    assert txn.failure_reason and not txn.entries.exists()
    assert balance_of(user) == Decimal("100.00") and balance_of(bob) == 0


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "amount"),
        ("-5.00", "amount"),
        ("1.001", "amount"),
        ("abc", "amount"),
        ("NaN", "amount"),
        ("1000000.01", "amount"),
        ("", "amount"),
        (None, "amount"),
    ],
)
def test_bad_amounts_are_400_naming_the_field_and_write_nothing(api, user, bob, amount, expected):
    before = TransactionToken.objects.count()
    response = api.post(URL, body(bob, amount=amount))
    assert response.status_code == 400
    assert expected in response.data["fields"]
    assert TransactionToken.objects.count() == before
    assert balance_of(user) == Decimal("100.00")


def test_numeric_amounts_are_accepted_as_decimals(api, bob):
    response = api.post(URL, body(bob, amount=12.5))
    assert response.status_code == 201 and response.data["amount"] == "12.50"
    assert api.post(URL, body(bob, amount=0.125)).status_code == 400


@pytest.mark.parametrize("case", ["unknown", "inactive", "self", "missing"])
def test_bad_receivers_are_refused(api, user, make_user, case):
    receiver_id = {"unknown": 999999, "inactive": make_user(is_active=False).pk, "self": user.pk}.get(case)
    payload = body(user)
    if receiver_id is None:
        payload.pop("receiver_id")
    else:
        payload["receiver_id"] = receiver_id
    before = TransactionToken.objects.count()
    response = api.post(URL, payload)
    assert response.status_code == 400
    assert "receiver_id" in response.data["fields"]
    assert TransactionToken.objects.count() == before and balance_of(user) == Decimal("100.00")


def test_bad_enums_and_metadata_are_refused(api, bob):
    assert "payment_method" in api.post(URL, body(bob, payment_method="CASH")).data["fields"]
    assert "transaction_type" in api.post(URL, body(bob, transaction_type="PURCHASE")).data["fields"]
    assert "metadata" in api.post(URL, body(bob, metadata=[1, 2])).data["fields"]
    assert TransactionToken.objects.filter(transaction_type="TRANSFER").count() == 0


def test_mass_assignment_of_status_token_and_sender_is_impossible(api, user, bob, make_user):
    mallory = make_user(balance=500)
    response = api.post(URL, body(bob, status="FAILED", token="TXN-mine", sender=mallory.pk, sender_id=mallory.pk))
    assert response.status_code == 201
    assert response.data["status"] == "COMPLETED" and response.data["token"] != "TXN-mine"
    assert response.data["sender"] == user.pk and balance_of(mallory) == Decimal("500.00")


def test_idempotency_key_replays_the_first_answer(api, user, bob):
    first = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="key-1")
    again = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert balance_of(user) == Decimal("75.00") and LedgerEntry.objects.filter(amount=Decimal("-25.00")).count() == 1
    different = api.post(URL, body(bob, amount="1.00"), HTTP_IDEMPOTENCY_KEY="key-1")
    assert different.status_code == 422 and different.data["code"] == "idempotency_key_reused"
    assert balance_of(user) == Decimal("75.00")


def test_idempotency_keys_are_per_user(api, bob, make_user, client_for):
    carol = make_user(balance=50)
    assert api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert client_for(carol).post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert balance_of(bob) == Decimal("50.00")


def test_a_failed_attempt_is_replayed_too(api, user, bob):
    first = api.post(URL, body(bob, amount="500.00"), HTTP_IDEMPOTENCY_KEY="k")
    api.post("/payments/transactions/create_transaction/", body(bob, amount="1.00"))
    again = api.post(URL, body(bob, amount="500.00"), HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == again.status_code == 400
    assert first.json()["transaction"]["token"] == again.json()["transaction"]["token"]
    assert TransactionToken.objects.filter(status="FAILED").count() == 1


def test_users_see_only_their_transactions(api, user, bob, make_user, client_for):
    carol, dave = make_user(balance=10), make_user()
    mine = api.post(URL, body(bob)).data
    theirs = client_for(carol).post(URL, body(dave, amount="5.00")).data
    listing = api.get("/payments/transactions/").data["results"]
    tokens = {t["token"] for t in listing}
    assert mine["token"] in tokens and theirs["token"] not in tokens
    assert api.get(f"/payments/transactions/{theirs['id']}/").status_code == 404
    assert client_for(bob).get(f"/payments/transactions/{mine['id']}/").status_code == 200
    assert client_for(dave).get(f"/payments/transactions/{mine['id']}/").status_code == 404


def test_history_is_newest_first_filtered_and_cursor_paginated(api, user, bob):
    for amount in ("1.00", "2.00", "3.00", "500.00"):
        api.post(URL, body(bob, amount=amount))
    page = api.get("/payments/transactions/history/?limit=2").data
    assert [t["amount"] for t in page["results"]] == ["500.00", "3.00"]
    nxt = api.get(page["next"]).data
    assert [t["amount"] for t in nxt["results"]] == ["2.00", "1.00"]
    completed = api.get("/payments/transactions/history/?status=COMPLETED&limit=10").data["results"]
    assert [t["amount"] for t in completed] == ["3.00", "2.00", "1.00", "100.00"]
    failed = api.get("/payments/transactions/history/?status=FAILED").data["results"]
    assert [t["amount"] for t in failed] == ["500.00"]
    funding = api.get("/payments/transactions/history/?transaction_type=FUNDING").data["results"]
    assert len(funding) == 1
    assert api.get("/payments/transactions/history/?date_from=2000-01-01&date_to=2000-01-02").data["results"] == []
    assert api.get("/payments/transactions/history/?status=NOPE").status_code == 400


def test_anonymous_requests_are_401(client_for):
    assert client_for().get("/payments/transactions/").status_code == 401
    assert client_for().post(URL, {}).status_code == 401


def test_rate_limit_answers_429_with_retry_after(api, bob, monkeypatch):
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/hour", "anon": "3/hour"})
    statuses = [api.get("/payments/payment-profiles/balance/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/payments/payment-profiles/balance/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.data["code"] == "throttled"
    cache.clear()


def test_a_refused_request_gives_its_idempotency_key_back(api, user, bob):
    refused = api.post(URL, body(bob, amount="-1"), HTTP_IDEMPOTENCY_KEY="k2")
    assert refused.status_code == 400
    assert api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="k2").status_code == 201
    assert balance_of(user) == Decimal("75.00")


def test_a_key_whose_first_request_never_answered_is_not_run_again(api, user, bob, settings):
    from comrade.core.models import IdempotencyRecord

    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    first = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="k3")
    assert first.status_code == 201
    IdempotencyRecord.objects.filter(key="k3").update(response_status=None, response_body=None)
    again = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="k3")
    assert again.status_code == 409 and again.data["code"] == "idempotency_request_in_progress"
    assert balance_of(user) == Decimal("75.00")


def test_a_dead_request_that_moved_no_money_is_run_again(api, user, bob, settings):
    from datetime import timedelta

    from django.utils import timezone

    from comrade.core.models import IdempotencyRecord

    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="probe")
    fingerprint = IdempotencyRecord.objects.get(key="probe").fingerprint
    # A worker that was killed right after claiming "k5": no answer, no transaction.
    claim = IdempotencyRecord.objects.create(user=user, key="k5", fingerprint=fingerprint)
    old = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    IdempotencyRecord.objects.filter(pk=claim.pk).update(created_at=old)
    retried = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="k5")
    assert retried.status_code == 201
    assert balance_of(user) == Decimal("50.00")
    assert IdempotencyRecord.objects.get(key="k5").response_status == 201


def test_a_dead_request_that_moved_money_is_reported_not_repeated(api, user, bob, settings):
    from datetime import timedelta

    from django.utils import timezone

    from comrade.core.models import IdempotencyRecord

    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    first = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="k6")
    old = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    IdempotencyRecord.objects.filter(key="k6").update(response_status=None, response_body=None, created_at=old)
    again = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="k6")
    assert again.status_code == 409 and again.data["code"] == "idempotency_request_interrupted"
    assert [t["token"] for t in again.data["transactions"]] == [first.data["token"]]
    assert balance_of(user) == Decimal("75.00")


@pytest.mark.parametrize(
    "path",
    [
        "/payments/transactions/abc/",
        "/payments/payment-groups/n/contributions_list/",
        "/payments/standing-orders/%C3%89/",
        "/payments/products/null/",
    ],
)
def test_non_numeric_ids_are_404_not_500(api, path):
    assert api.get(path).status_code == 404


@pytest.mark.parametrize("value", ["6711-02-07T11:24:39+18:57", "9999-12-31T23:59:59-05:00"])
def test_history_dates_with_odd_offsets_are_answered_not_500(api, value):
    response = api.get("/payments/transactions/", {"created_after": value})
    assert response.status_code in (200, 400)


def _reads(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_a_transfer_answers_with_its_status_history_without_reading_it_again(api, user, bob):
    with CaptureQueriesContext(connection) as queries:
        response = api.post(URL, body(bob, amount="1.00"))
    assert response.status_code == 201, response.data
    history = [(h["status"], h["reason"]) for h in response.data["status_history"]]
    assert history == [("PENDING", ""), ("AUTHORIZED", ""), ("VERIFIED", ""), ("COMPLETED", "")]
    assert response.data["next_action"] is None
    assert not _reads(queries, "ledger_transactionstatuschange") and not _reads(queries, "gateways_externalpayment")
    stored = TransactionToken.objects.get(token=response.data["token"])
    assert [c.to_status for c in stored.status_changes.order_by("id")] == [status for status, _ in history]


def test_a_refused_transfer_answers_with_its_reason_in_the_status_history(api, user, bob):
    response = api.post(URL, body(bob, amount="500.00"))
    assert response.status_code == 400, response.data
    txn = TransactionToken.objects.get(sender=user, transaction_type="TRANSFER")
    assert txn.status == "FAILED" and txn.failure_code == "insufficient_funds" and not txn.entries.exists()
    trail = [(c.from_status, c.to_status, c.reason) for c in txn.status_changes.order_by("id")]
    assert trail == [("", "PENDING", ""), ("PENDING", "FAILED", txn.failure_reason)]
    assert balance_of(user) == Decimal("100.00") and balance_of(bob) == Decimal("0.00")


def test_an_internal_transfer_with_a_key_commits_its_answer_with_the_money(api, user, bob):
    from comrade.core.models import IdempotencyRecord

    response = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="one-commit")
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get(key="one-commit")
    assert record.response_status == 201 and record.response_body["token"] == response.data["token"]
    assert list(record.transactions.values_list("token", flat=True)) == [response.data["token"]]
    replay = api.post(URL, body(bob), HTTP_IDEMPOTENCY_KEY="one-commit")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert balance_of(user) == Decimal("75.00") and balance_of(bob) == Decimal("25.00")


def test_work_that_fails_after_moving_money_in_one_transaction_leaves_nothing_and_frees_the_key(user, bob):
    from comrade.core.idempotency import run_once
    from comrade.core.models import IdempotencyRecord
    from comrade.transfers.services import transfer_create

    def work():
        transfer_create(sender=user, receiver_id=bob.pk, amount=Decimal("10.00"))
        raise RuntimeError("the worker broke after the transfer")

    def answer(result):
        return 201, {}

    with pytest.raises(RuntimeError):
        run_once(user=user, key="k", fingerprint="f", work=work, answer=answer, in_one_transaction=True)
    assert not IdempotencyRecord.objects.filter(key="k").exists()
    assert not TransactionToken.objects.filter(sender=user, transaction_type="TRANSFER").exists()
    assert balance_of(user) == Decimal("100.00") and balance_of(bob) == Decimal("0.00")
    assert run_all() == []

    def good():
        return transfer_create(sender=user, receiver_id=bob.pk, amount=Decimal("10.00"))

    once = run_once(user=user, key="k", fingerprint="f", work=good, answer=answer, in_one_transaction=True)
    assert not once.replayed and balance_of(bob) == Decimal("10.00")
    again = run_once(user=user, key="k", fingerprint="f", work=good, answer=answer, in_one_transaction=True)
    assert again.replayed and balance_of(bob) == Decimal("10.00")


def test_an_external_payment_keeps_the_separate_claim(api, user):
    from comrade.transfers.api import TransactionViewSet

    view = TransactionViewSet()
    view.action = "create_transaction"

    class Request:
        def __init__(self, data):
            self.data = data

    assert view.idempotent_in_one_transaction(Request({"payment_method": "INTERNAL"}))
    assert not view.idempotent_in_one_transaction(Request({"payment_method": "EXTERNAL"}))
    assert not view.idempotent_in_one_transaction(Request(["not", "a", "dict"]))
    view.action = "refund"
    assert not view.idempotent_in_one_transaction(Request({"payment_method": "INTERNAL"}))


def test_a_deactivated_users_unexpired_jwt_moves_no_money(user, bob):
    """The JWT is checked against the user row on every request (simplejwt's JWTAuthentication):
    a token issued before the user was deactivated is refused at once, on any worker."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert client.post(URL, body(bob, amount="1.00")).status_code == 201
    user.is_active = False
    user.save(update_fields=["is_active"])
    refused = client.post(URL, body(bob, amount="1.00"), HTTP_IDEMPOTENCY_KEY="after-deactivation")
    assert refused.status_code == 401
    assert balance_of(user) == Decimal("99.00") and balance_of(bob) == Decimal("1.00")
