from decimal import Decimal

import pytest

from comrade.commerce.models import Product
from comrade.commerce.tests.factories import ProductFactory, purchase_history

pytestmark = pytest.mark.django_db
URL = "/payments/products/"


@pytest.fixture
def catalogue():
    return {
        "novel": ProductFactory(name="Blue Novel", price=Decimal("12.00"), category="Books"),
        "atlas": ProductFactory(name="World Atlas", price=Decimal("45.00"), category="Books"),
        "hub": ProductFactory(name="USB Hub", price=Decimal("25.50"), category="Electronics"),
        "gone": ProductFactory(name="Blue Lamp", price=Decimal("30.00"), category="Home", is_available=False),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [p["name"] for p in response.data["results"]]


def test_list_shows_available_products_with_spec_fields(api, catalogue):
    response = api.get(URL)
    assert names(response) == ["Blue Novel", "USB Hub", "World Atlas"]
    first = response.data["results"][0]
    assert set(first) == {"id", "name", "description", "price", "category", "is_available", "created_at", "updated_at"}
    assert first["price"] == "12.00" and first["is_available"] is True


def test_filters_search_and_ordering(api, catalogue):
    assert names(api.get(URL, {"category": "books"})) == ["Blue Novel", "World Atlas"]
    assert names(api.get(URL, {"min_price": "20", "max_price": "45.00"})) == ["USB Hub", "World Atlas"]
    assert names(api.get(URL, {"max_price": "11.99"})) == []
    assert names(api.get(URL, {"search": "blue"})) == ["Blue Novel"]
    assert names(api.get(URL, {"ordering": "-price"})) == ["World Atlas", "USB Hub", "Blue Novel"]
    assert names(api.get(URL, {"ordering": "price", "category": "Books"})) == ["Blue Novel", "World Atlas"]
    assert api.get(URL, {"min_price": "cheap"}).status_code == 400


def test_detail_and_unavailable_products(api, catalogue):
    assert api.get(f"{URL}{catalogue['hub'].pk}/").data["category"] == "Electronics"
    assert api.get(f"{URL}{catalogue['gone'].pk}/").status_code == 404
    assert api.get(f"{URL}999999/").status_code == 404


def test_staff_see_everything_and_write(client_for, staff, catalogue):
    admin = client_for(staff)
    assert "Blue Lamp" in names(admin.get(URL))
    assert names(admin.get(URL, {"is_available": "false"})) == ["Blue Lamp"]
    created = admin.post(URL, {"name": "Desk", "price": "99.90", "category": "Home", "description": "Oak"})
    assert created.status_code == 201 and created.data["price"] == "99.90"
    desk = Product.objects.get(name="Desk")
    assert desk.price == Decimal("99.90") and desk.is_available
    assert admin.patch(f"{URL}{desk.pk}/", {"is_available": False}).status_code == 200
    assert Product.objects.get(pk=desk.pk).is_available is False
    assert admin.delete(f"{URL}{desk.pk}/").status_code == 204
    assert not Product.objects.filter(pk=desk.pk).exists()


def test_staff_cannot_set_a_bad_price(client_for, staff):
    admin = client_for(staff)
    for price in ("0", "-1.00", "1.001", "abc"):
        response = admin.post(URL, {"name": "X", "price": price, "category": "Home"})
        assert response.status_code == 400 and "price" in response.data["fields"]
    assert not Product.objects.exists()


def test_a_bought_product_cannot_be_deleted_only_made_unavailable(client_for, staff, user, catalogue):
    purchase_history(user, catalogue["hub"])
    response = client_for(staff).delete(f"{URL}{catalogue['hub'].pk}/")
    assert response.status_code == 409 and response.data["code"] == "product_has_purchases"
    assert Product.objects.filter(pk=catalogue["hub"].pk).exists()


def test_non_staff_cannot_write_products(api, catalogue, unchanged):
    hub = catalogue["hub"]
    with unchanged():
        assert api.post(URL, {"name": "Mine", "price": "1.00", "category": "Home"}).status_code == 403
        assert api.patch(f"{URL}{hub.pk}/", {"price": "0.01"}).status_code == 403
        assert api.put(f"{URL}{hub.pk}/", {"name": "x", "price": "0.01", "category": "x"}).status_code == 403
        assert api.delete(f"{URL}{hub.pk}/").status_code == 403
    assert Product.objects.get(pk=hub.pk).price == Decimal("25.50")


def test_anonymous_is_401(client_for, catalogue):
    assert client_for().get(URL).status_code == 401
    assert client_for().get(f"{URL}recommendations/").status_code == 401
    assert client_for().post(f"{URL}{catalogue['hub'].pk}/purchase/", {}).status_code == 401
