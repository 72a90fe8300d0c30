"""The history middleware skips the paths that write no history-tracked row (PostgreSQL only, like
pghistory's context). The skip is only safe while that stays true: this test pins it."""

from decimal import Decimal

import pytest
from django.conf import settings
from pghistory.models import Events

from comrade.ledger.models import PaymentProfileEvent
from comrade.ledger.selectors import balance_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_transfer_writes_no_history_row_so_its_path_may_skip_the_context(api, user, make_user):
    payee = make_user()
    assert "/payments/transactions/create_transaction/" in settings.HISTORY_CONTEXT_SKIP_PATHS
    before = Events.objects.count()
    for key in ("", "key-1"):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        body = {"receiver_id": payee.pk, "amount": "5.00", "payment_method": "INTERNAL", "transaction_type": "TRANSFER"}
        assert api.post("/payments/transactions/create_transaction/", body, format="json", **headers).status_code == 201
    assert balance_of(payee) == Decimal("10.00")
    assert Events.objects.count() == before


def test_other_paths_still_record_who_changed_a_tracked_row(api, user):
    assert (
        api.post("/payments/payment-profiles/payment_methods/", {"provider": "sandbox", "token": "acct_x"}).status_code
        == 201
    )
    event = PaymentProfileEvent.objects.filter(user=user).order_by("pgh_id").last()
    assert event.pgh_context.metadata["user"] == user.pk
