from decimal import Decimal

import pytest

from comrade.commerce.models import PaymentItem, Purchase
from comrade.commerce.tests.factories import PaymentItemFactory
from comrade.ledger.checks import run_all
from comrade.ledger.selectors import balance_of, revenue_total

pytestmark = pytest.mark.django_db
URL = "/payments/payment-items/"


@pytest.fixture
def fee():
    return PaymentItemFactory(name="Membership fee", price=Decimal("15.00"), description="Yearly")


def test_list_shows_active_items_with_spec_fields(api, fee):
    PaymentItemFactory(name="Old fee", is_active=False)
    results = api.get(URL).data["results"]
    assert [i["name"] for i in results] == ["Membership fee"]
    assert results[0] == {
        "id": fee.pk,
        "name": "Membership fee",
        "description": "Yearly",
        "price": "15.00",
        "currency": "USD",
        "is_active": True,
    }
    assert api.get(f"{URL}{fee.pk}/").data["price"] == "15.00"


def test_inactive_items_are_hidden_from_users_but_not_staff(api, client_for, staff):
    old = PaymentItemFactory(is_active=False)
    assert api.get(f"{URL}{old.pk}/").status_code == 404
    assert client_for(staff).get(f"{URL}{old.pk}/").status_code == 200


def test_staff_manage_items_and_users_cannot(api, client_for, staff, fee, unchanged):
    with unchanged():
        assert api.post(URL, {"name": "x", "price": "1.00"}).status_code == 403
        assert api.patch(f"{URL}{fee.pk}/", {"price": "0.01"}).status_code == 403
        assert api.delete(f"{URL}{fee.pk}/").status_code == 403
    admin = client_for(staff)
    created = admin.post(URL, {"name": "Ticket", "price": "25.00"})
    assert created.status_code == 201 and created.data["currency"] == "USD"
    assert admin.patch(f"{URL}{created.data['id']}/", {"is_active": False}).data["is_active"] is False
    assert admin.post(URL, {"name": "Free", "price": "0.00"}).status_code == 400
    assert admin.delete(f"{URL}{created.data['id']}/").status_code == 204
    assert list(PaymentItem.objects.values_list("name", flat=True)) == ["Membership fee"]


def test_paying_for_an_item_charges_its_price_and_links_the_item(api, user, fee, client_for, staff):
    response = api.post(f"{URL}{fee.pk}/pay/", {"quantity": 2, "amount": "0.01"})
    assert response.status_code == 201, response.data
    assert response.data["payment_item"] == fee.pk and response.data["product"] is None
    assert response.data["total"] == "30.00" and response.data["payment_item_name"] == "Membership fee"
    txn = response.data["transaction"]
    assert txn["transaction_type"] == "PURCHASE" and txn["metadata"]["payment_item_id"] == fee.pk
    assert balance_of(user) == Decimal("70.00")
    assert revenue_total("sales") == Decimal("30.00")
    assert Purchase.objects.get().payment_item == fee
    assert api.get("/payments/purchases/").data["results"][0]["payment_item"] == fee.pk
    deleted = client_for(staff).delete(f"{URL}{fee.pk}/")
    assert deleted.status_code == 409 and deleted.data["code"] == "payment_item_has_payments"
    assert run_all() == []


def test_paying_refusals_write_nothing(api, fee, unchanged):
    inactive = PaymentItemFactory(is_active=False)
    dear = PaymentItemFactory(price=Decimal("100.01"))
    with unchanged():
        response = api.post(f"{URL}{inactive.pk}/pay/", {})
        assert response.status_code == 400 and response.data["code"] == "payment_item_inactive"
        assert api.post(f"{URL}{fee.pk}/pay/", {"quantity": 0}).status_code == 400
        assert api.post(f"{URL}999999/pay/", {}).status_code == 404
    response = api.post(f"{URL}{dear.pk}/pay/", {})
    assert response.status_code == 400 and response.data["code"] == "insufficient_funds"
    assert not Purchase.objects.exists()


def test_item_payments_count_towards_the_purchase_limit(make_user, client_for):
    payer = make_user(balance="1000.00")
    api = client_for(payer)
    item = PaymentItemFactory(price=Decimal("1.00"))
    assert [api.post(f"{URL}{item.pk}/pay/", {}).status_code for _ in range(7)] == [201] * 6 + [403]
