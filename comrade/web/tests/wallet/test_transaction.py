from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.gateways.sandbox import decide
from comrade.gateways.services import external_transaction_create
from comrade.ledger.selectors import balance_of
from comrade.transfers.services import transfer_create

pytestmark = pytest.mark.django_db


def test_the_receipt_shows_type_counterparty_fee_status_history(web_client, make_user):
    me = make_user(balance="30.00")
    friend = make_user(first_name="Kim", last_name="Lee")
    txn = transfer_create(sender=me, receiver_id=friend.pk, amount=Decimal("12.50"), description="Lunch")
    page = web_client(me).get(reverse("wallet:transaction", args=[txn.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Sent" in html and "Kim Lee" in html and "USD \u221212.50" in html and txn.token in html
    assert [s["label"] for s in page.context["stages"]] == ["Started", "Completed"]
    assert [c.to_status for c in page.context["history"]] == ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"]
    assert "hx-trigger" not in html  # final: no polling
    # the friend sees the same transaction as received
    theirs = web_client(friend).get(reverse("wallet:transaction", args=[txn.pk])).content.decode()
    assert "Received" in theirs and "USD 12.50" in theirs


def test_another_users_transaction_is_a_404(web_client, make_user):
    a, b, c = make_user(balance="10.00"), make_user(), make_user()
    txn = transfer_create(sender=a, receiver_id=b.pk, amount=Decimal("1.00"))
    assert web_client(c).get(reverse("wallet:transaction", args=[txn.pk])).status_code == 404
    assert web_client(c).get(reverse("wallet:transaction_status", args=[txn.pk])).status_code == 404
    assert web_client(c).get(reverse("wallet:transaction", args=[999999])).status_code == 404


def test_a_pending_top_up_polls_until_it_settles(web_client, make_user):
    me = make_user()
    client = web_client(me)
    txn = external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("25.00"), provider="sandbox")
    status_url = reverse("wallet:transaction_status", args=[txn.pk])
    waiting = client.get(status_url)
    html = waiting.content.decode()
    assert 'hx-trigger="every 3s"' in html and f'hx-get="{status_url}"' in html
    assert "check again" in html and "?check=1" in html
    assert [(s["label"], s["state"]) for s in waiting.context["stages"]] == [
        ("Started", "done"),
        ("Waiting for provider", "current"),
        ("Completed", "todo"),
    ]
    assert txn.external.provider_reference in client.get(reverse("wallet:transaction", args=[txn.pk])).content.decode()
    decide(payment=txn.external, approve=True)
    settled = client.get(status_url)
    assert "hx-trigger" not in settled.content.decode() and "Completed" in settled.content.decode()
    assert [s["state"] for s in settled.context["stages"]] == ["done", "done", "done"]
    assert balance_of(me) == Decimal("25.00")


def test_check_again_asks_the_provider_but_never_credits(web_client, make_user):
    from comrade.gateways.models import SandboxObject

    me = make_user()
    txn = external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("9.00"), provider="sandbox")
    SandboxObject.objects.filter(provider_reference=txn.external.provider_reference).update(status="SUCCEEDED")
    page = web_client(me).get(reverse("wallet:transaction", args=[txn.pk]), {"check": "1"})
    assert page.status_code == 200
    txn.refresh_from_db()
    assert txn.status == "AUTHORIZED" and balance_of(me) == Decimal("0.00")


def test_a_declined_top_up_shows_failed(web_client, make_user):
    me = make_user()
    txn = external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("5.00"), provider="sandbox")
    decide(payment=txn.external, approve=False)
    page = web_client(me).get(reverse("wallet:transaction", args=[txn.pk]))
    assert [(s["label"], s["state"]) for s in page.context["stages"]][-1] == ("Failed", "failed")
    assert "Failed" in page.content.decode()


def test_check_again_for_a_provider_no_longer_enabled_is_a_message_not_a_500(web_client, make_user, settings):
    me = make_user()
    txn = external_transaction_create(user=me, transaction_type="DEPOSIT", amount=Decimal("9.00"), provider="sandbox")
    settings.SANDBOX_PAYMENTS_ENABLED = False
    page = web_client(me).get(reverse("wallet:transaction", args=[txn.pk]), {"check": "1"})
    assert page.status_code == 200 and "disabled provider" in page.content.decode()


def test_an_id_beyond_any_row_is_a_404(web_client, make_user):
    page = web_client(make_user()).get(reverse("wallet:transaction", args=[10**30]))
    assert page.status_code == 404
