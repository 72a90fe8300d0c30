"""Demo catalogue and a few purchases so that recommendations have data. Idempotent: products
and payment items are found by name, purchases are made only for users who have none."""

from decimal import Decimal

from comrade.commerce.models import PaymentItem, Product, Purchase
from comrade.commerce.services.purchases import product_purchase

PRODUCTS = [
    # name, category, price, description
    ("The Pragmatic Programmer", "Books", "45.00", "Classic advice for working programmers."),
    ("Two Scoops of Django", "Books", "39.00", "Best practices for Django projects."),
    ("Refactoring", "Books", "42.50", "Improving the design of existing code."),
    ("USB-C Hub", "Electronics", "29.99", "Seven ports, one cable."),
    ("Mechanical Keyboard", "Electronics", "89.00", "Tactile switches, full size."),
    ("Kenyan AA Coffee, 1 kg", "Groceries", "18.50", "Single-origin beans from Nyeri."),
    ("Green Tea, 100 bags", "Groceries", "7.25", "Kericho green tea."),
]
PAYMENT_ITEMS = [
    ("Membership fee", "12.00", "Yearly community membership."),
    ("Meetup ticket", "5.00", "Entry to the monthly meetup."),
]
BASKETS = {
    "alice": [("The Pragmatic Programmer", 1), ("Two Scoops of Django", 1), ("Kenyan AA Coffee, 1 kg", 2)],
    "bob": [("The Pragmatic Programmer", 1), ("USB-C Hub", 1)],
    "carol": [("Two Scoops of Django", 1), ("Green Tea, 100 bags", 1)],
}


def seed(users: dict) -> None:
    products = {name: _product(name, category, price, text) for name, category, price, text in PRODUCTS}
    for name, price, text in PAYMENT_ITEMS:
        PaymentItem.objects.get_or_create(name=name, defaults={"price": Decimal(price), "description": text})
    for key, basket in BASKETS.items():
        user = users.get(key)
        if user is None or Purchase.objects.filter(buyer=user).exists():
            continue
        for name, quantity in basket:
            product_purchase(buyer=user, product=products[name], quantity=quantity)


def _product(name: str, category: str, price: str, description: str) -> Product:
    product, _ = Product.objects.get_or_create(
        name=name, defaults={"category": category, "price": Decimal(price), "description": description}
    )
    return product
