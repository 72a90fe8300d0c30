"""History of saved payment methods (django-pghistory, PostgreSQL only), for disputes."""

import pytest

from comrade.ledger.models import PaymentProfileEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
URL = "/payments/payment-profiles/"


def test_saving_choosing_and_removing_payment_methods_is_kept_with_who_did_it(api, user):
    first = api.post(f"{URL}payment_methods/", {"provider": "sandbox", "token": "acct_first"}).data["id"]
    second = api.post(f"{URL}payment_methods/", {"provider": "sandbox", "token": "acct_second"}).data["id"]
    for _ in range(2):  # the second time changes nothing, so it writes no history
        assert api.post(f"{URL}set_default_payment_method/", {"method_id": second}).status_code == 200
    assert api.delete(f"{URL}payment_methods/{first}/").status_code == 204

    events = list(PaymentProfileEvent.objects.filter(user=user).order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update", "update", "update", "update"]
    assert [[m["id"] for m in e.payment_methods] for e in events] == [
        [],
        [first],
        [first, second],
        [first, second],
        [second],
    ]
    assert [e.default_payment_method for e in events] == ["", first, first, second, second]
    assert {e.pgh_context.metadata["user"] for e in events[1:]} == {user.pk}
