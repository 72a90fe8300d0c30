from decimal import Decimal

import pytest

from comrade.commerce.recommendations import recommendations_for
from comrade.commerce.tests.factories import ProductFactory, purchase_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_user):
    p = {
        "A": ProductFactory(name="Algebra", category="Books"),
        "B": ProductFactory(name="Biology", category="Books"),
        "C": ProductFactory(name="Camera", category="Electronics"),
        "D": ProductFactory(name="Drone", category="Electronics"),
        "E": ProductFactory(name="Encyclopedia", category="Books", is_available=False),
        "F": ProductFactory(name="Frypan", category="Home"),
        "G": ProductFactory(name="Gadget", category="Electronics"),
    }
    baskets = {
        "me": "A",
        "x1": "AC",
        "x2": "ACD",
        "x3": "AB",
        "x4": "FFFG",
        "x5": "AE",
        "x6": "AC",
        "w": "D",
    }
    users = {name: make_user() for name in baskets}
    for name, basket in baskets.items():
        for key in basket:
            purchase_history(users[name], p[key])
    return users, p


def picks(user, **kwargs) -> list[tuple[str, str, str]]:
    return [(r.product.name, str(r.score), r.reason) for r in recommendations_for(user, **kwargs)]


def test_co_purchased_product_ranks_first_weighted_by_my_categories(shop):
    users, _ = shop
    assert picks(users["me"]) == [
        ("Camera", "3.00", "bought together with Algebra"),  # 3 other Algebra buyers bought it
        ("Biology", "2.00", "bought together with Algebra"),  # 1 buyer, but in my category (Books)
        ("Drone", "1.00", "bought together with Algebra"),
        ("Frypan", "3.00", "most bought"),
        ("Gadget", "1.00", "most bought"),
    ]


def test_falls_back_to_popular_in_my_categories_then_most_bought(shop):
    users, _ = shop
    assert picks(users["w"]) == [
        ("Camera", "2.00", "bought together with Drone"),
        ("Algebra", "1.00", "bought together with Drone"),
        ("Gadget", "1.00", "popular in Electronics"),
        ("Frypan", "3.00", "most bought"),
        ("Biology", "1.00", "most bought"),
    ]


def test_a_new_user_gets_the_most_bought_products(shop, make_user):
    assert [name for name, _, reason in picks(make_user()) if reason == "most bought"] == [
        "Algebra",
        "Camera",
        "Frypan",
        "Drone",
        "Biology",
        "Gadget",
    ]


def test_never_unavailable_or_already_bought_products_and_the_limit_holds(shop):
    users, products = shop
    products["C"].is_available = False
    products["C"].save()
    names = [name for name, _, _ in picks(users["me"], limit=3)]
    assert names == ["Biology", "Drone", "Frypan"]
    assert "Algebra" not in names and "Encyclopedia" not in names


def test_the_query_count_does_not_grow_with_the_number_of_orders(shop, make_user, django_assert_max_num_queries):
    users, products = shop
    with django_assert_max_num_queries(12):
        small = picks(users["me"])
    for _ in range(20):
        buyer = make_user()
        for key in "ABCDFG":
            purchase_history(buyer, products[key])
    with django_assert_max_num_queries(12):
        assert len(picks(users["me"])) == len(small)


def test_recommendations_endpoint_says_why(shop, client_for):
    users, products = shop
    api = client_for(users["me"])
    data = api.get("/payments/products/recommendations/").data
    assert data[0]["id"] == products["C"].pk and data[0]["name"] == "Camera"
    assert data[0]["score"] == "3.00" and data[0]["reason"] == "bought together with Algebra"
    assert data[0]["price"] == "10.00" and data[0]["category"] == "Electronics"
    assert [r["name"] for r in api.get("/payments/products/recommendations/?limit=2").data] == ["Camera", "Biology"]
    for bad in ("0", "51", "x"):
        response = api.get(f"/payments/products/recommendations/?limit={bad}")
        assert response.status_code == 400 and "limit" in response.data["fields"]


def test_no_purchases_anywhere_gives_an_empty_list(client_for, make_user):
    ProductFactory(price=Decimal("1.00"))
    assert client_for(make_user()).get("/payments/products/recommendations/").data == []
