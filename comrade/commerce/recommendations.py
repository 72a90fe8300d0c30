"""Product recommendations for one user, computed by the database.

1. Bought together (item-to-item co-purchase): other buyers who bought any product the user
   bought; the products those buyers bought that the user has not, ranked by how many of them
   bought it, weighted by how often the user buys in its category:
   score = co_buyers x (1 + the user's purchases in that category / the user's purchases).
2. Popular in the user's categories, then 3. the most bought products overall (what a new user
   gets). Only available products; each result says why it was picked.

Every step is one grouped query (plus one small query per returned co-purchase result to name the
product it goes with), served by the (product, buyer) and (buyer, product) purchase indexes, so
the cost does not grow with Python loops over orders.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Value, When

from comrade.commerce.models import Product, Purchase

MAX_LIMIT = 50


@dataclass(frozen=True)
class Recommendation:
    product: Product
    score: Decimal
    reason: str


def recommendations_for(user, *, limit: int = 10) -> list[Recommendation]:
    limit = max(1, min(limit, MAX_LIMIT))
    mine = Purchase.objects.filter(buyer=user, product__isnull=False)
    categories = dict(
        mine.values_list("product__category").annotate(n=Count("id")).values_list("product__category", "n")
    )
    picked: list[Recommendation] = []
    if categories:
        picked += _bought_together(user, categories, limit=limit)
        picked += _popular(_excluded(user, picked), categories=list(categories), limit=limit - len(picked))
    picked += _popular(_excluded(user, picked), categories=None, limit=limit - len(picked))
    return picked


def bought_with(product: Product, *, user, limit: int = 4) -> list[Recommendation]:
    """People who bought `product` also bought: the available products other buyers of it (not
    `user`) bought, by how many of them did (`score`), in one grouped query."""
    limit = max(1, min(limit, MAX_LIMIT))
    buyers = Purchase.objects.filter(product=product).exclude(buyer=user).values("buyer_id")
    rows = (
        Purchase.objects.filter(buyer_id__in=buyers, product__is_available=True)
        .exclude(product=product)
        .values("product_id")
        .annotate(together=Count("buyer_id", distinct=True))
        .order_by("-together", "product_id")[:limit]
    )
    rows = list(rows.values_list("product_id", "together"))
    products = Product.objects.in_bulk([pk for pk, _ in rows])
    return [
        Recommendation(
            product=products[pk],
            score=Decimal(n).quantize(Decimal("0.01")),
            reason=f"{n} {'person' if n == 1 else 'people'} who bought {product.name} also bought this",
        )
        for pk, n in rows
    ]


def _excluded(user, picked: list[Recommendation]) -> set[int]:
    bought = set(Purchase.objects.filter(buyer=user, product__isnull=False).values_list("product_id", flat=True))
    return bought | {r.product.pk for r in picked}


def _bought_together(user, categories: dict[str, int], *, limit: int) -> list[Recommendation]:
    my_products = Purchase.objects.filter(buyer=user, product__isnull=False).values("product_id")
    co_buyers = Purchase.objects.filter(product_id__in=my_products).exclude(buyer=user).values("buyer_id")
    total = sum(categories.values())
    affinity = Case(
        *[When(product__category=name, then=Value(n)) for name, n in categories.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        Purchase.objects.filter(buyer_id__in=co_buyers, product__is_available=True)
        .exclude(product_id__in=my_products)
        .values("product_id")
        .annotate(together=Count("buyer_id", distinct=True), affinity=affinity)
        .annotate(rank=F("together") * (total + F("affinity")))
        .order_by("-rank", "-together", "product_id")[:limit]
    )
    rows = list(rows.values_list("product_id", "rank"))
    products = Product.objects.in_bulk([pk for pk, _ in rows])
    return [
        Recommendation(
            product=products[pk],
            score=(Decimal(rank) / total).quantize(Decimal("0.01")),
            reason=f"bought together with {_anchor_name(user, pk, my_products)}",
        )
        for pk, rank in rows
    ]


def _anchor_name(user, product_id: int, my_products) -> str:
    """The user's product most often bought by the same people as `product_id`."""
    buyers = Purchase.objects.filter(product_id=product_id).exclude(buyer=user).values("buyer_id")
    anchor = (
        Purchase.objects.filter(product_id__in=my_products, buyer_id__in=buyers)
        .values("product__name")
        .annotate(n=Count("buyer_id", distinct=True))
        .order_by("-n", "product__name")
        .first()
    )
    return anchor["product__name"] if anchor else "your purchases"


def _popular(excluded: set[int], *, categories: list[str] | None, limit: int) -> list[Recommendation]:
    if limit <= 0:
        return []
    products = Product.objects.filter(is_available=True).exclude(pk__in=excluded)
    if categories is not None:
        products = products.filter(category__in=categories)
    products = products.annotate(bought=Count("purchases")).filter(bought__gt=0).order_by("-bought", "name", "id")
    return [
        Recommendation(
            product=p,
            score=Decimal(p.bought).quantize(Decimal("0.01")),
            reason=f"popular in {p.category}" if categories is not None else "most bought",
        )
        for p in products[:limit]
    ]
