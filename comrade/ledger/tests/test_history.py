"""History of saved payment methods (django-pghistory, PostgreSQL only), for disputes."""

import pytest

from comrade.ledger.models import PaymentProfileEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
URL = "/payments/payment-profiles/"


def test_saving_and_choosing_a_payment_method_is_kept_with_who_did_it(api, user):
    saved = api.post(f"{URL}payment_methods/", {"provider": "sandbox", "token": "acct_saved"})
    assert saved.status_code == 201, saved.data
    chosen = api.post(f"{URL}set_default_payment_method/", {"method_id": saved.data["id"]})
    assert chosen.status_code == 200, chosen.data

    events = list(PaymentProfileEvent.objects.filter(user=user).order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update", "update"]
    assert [len(e.payment_methods) for e in events] == [0, 1, 1]
    assert [e.default_payment_method for e in events] == ["", "", saved.data["id"]]
    assert {e.pgh_context.metadata["user"] for e in events[1:]} == {user.pk}
