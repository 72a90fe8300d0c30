"""Benchmark 5: no platform-wide hot spot. In one run on PostgreSQL, BENCH_CLIENTS processes among
the funded users measure:

(a) `transfers`: service-layer transfers among them (`bench.transfers.service_run`), the yardstick;
(b) `purchases`: wallet purchases (`product_purchase`) of one product without a stock limit,
    created here, each by a random user among the same ones; sales revenue is split into
    LEDGER_REVENUE_SHARDS accounts chosen by the buyer's wallet;
(c) `purchases_one_revenue_account`: the same with the shards forced to 1, every purchase crediting
    `revenue:sales`: the hot spot the shards remove.

The buyers are on the ENTERPRISE tier (no monthly purchase count), so the tier limits refuse
nothing however often a user is drawn; they are still read and checked on every purchase.
Ratios: `purchases_over_transfers` (the goal: >= 0.8) and
`purchases_one_revenue_account_over_transfers`. Also checked: sales revenue rose by exactly the sum
of the phase's Purchase rows, and verify_ledger.

    python -m bench.purchases
"""

import time
from datetime import timedelta
from decimal import Decimal

from bench.infra import db
from bench.infra.clients import Refused, run_clients
from bench.infra.knobs import Knobs
from bench.infra.phase import emit, log, prepare, target_for
from bench.infra.stats import ratio
from bench.transfers import service_run

PRICE = Decimal("0.50")
RATIOS = [
    ("purchases_over_transfers", "purchases", "transfers"),
    ("purchases_one_revenue_account_over_transfers", "purchases_one_revenue_account", "transfers"),
    ("purchases_over_one_revenue_account", "purchases", "purchases_one_revenue_account"),
    # One client: the cost of a purchase against a transfer's with nothing to queue on. When the
    # 8-client ratio is no lower than this one, what is left is work per purchase, not a hot spot.
    ("purchases_single_over_transfers_single", "purchases_single", "transfers_single"),
]


def make_product():
    from comrade.commerce.models import Product

    return Product.objects.create(name=f"Bench sticker {time.time():.0f}", price=PRICE, category="Bench")


def enterprise_tier(wallets) -> int:
    """An ACTIVE ENTERPRISE subscription (no charge) for every buyer without one."""
    from django.utils import timezone

    from comrade.commerce.models import UserSubscription

    ids = [w.user_id for w in wallets]
    have = set(UserSubscription.objects.filter(user_id__in=ids, status="ACTIVE").values_list("user_id", flat=True))
    now = timezone.now()
    rows = [
        UserSubscription(
            user_id=uid, subscription_type="ENTERPRISE", start_date=now, end_date=now + timedelta(days=30), price=0
        )
        for uid in ids
        if uid not in have
    ]
    UserSubscription.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def purchases_run(knobs: Knobs, wallets, product_id: int, *, clients: int | None = None) -> dict:
    def make(_index):
        from comrade.accounts.models import User
        from comrade.commerce.models import Product
        from comrade.commerce.services.purchases import product_purchase

        product = Product.objects.get(pk=product_id)

        def buy(rng):
            buyer = wallets[rng.randrange(len(wallets))]
            outcome = product_purchase(buyer=User(pk=buyer.user_id), product=product, quantity=1)
            if outcome.transaction.status != "COMPLETED":
                raise Refused(f"{outcome.transaction.status} {outcome.transaction.failure_reason}")

        return buy

    return run_clients(make, clients=clients or knobs.clients, seconds=knobs.seconds, warmup=knobs.warmup)


def ratios(result: dict) -> dict:
    return {
        key: ratio(result[top]["per_second"], result[bottom]["per_second"])
        for key, top, bottom in RATIOS
        if top in result and bottom in result
    }


def revenue_check(product, revenue_before: Decimal) -> dict:
    from django.db.models import Sum

    from comrade.commerce.models import Purchase
    from comrade.ledger.selectors import revenue_accounts, revenue_total

    sold = Purchase.objects.filter(product=product).aggregate(s=Sum("total"))["s"] or Decimal(0)
    raised = revenue_total("sales") - revenue_before
    return {
        "purchases_total": str(sold),
        "sales_revenue_raised_by": str(raised),
        "revenue_equals_purchases": raised == sold,
        "sales_revenue_accounts": revenue_accounts("sales").count(),
    }


def main() -> None:
    knobs = Knobs()
    target = target_for("postgresql", knobs)
    wallets = prepare(target, knobs)
    from django.conf import settings
    from django.test import override_settings

    from comrade.ledger.selectors import revenue_total

    log(f"{enterprise_tier(wallets)} buyers put on the ENTERPRISE tier")
    product = make_product()
    revenue_before = revenue_total("sales")
    result = {
        "database": target.label,
        "users": len(wallets),
        "clients": knobs.clients,
        "seconds": knobs.seconds,
        "revenue_shards": settings.LEDGER_REVENUE_SHARDS,
        "price": str(PRICE),
    }
    runs = [
        ("transfers", lambda: service_run(knobs, wallets)),
        ("purchases", lambda: purchases_run(knobs, wallets, product.pk)),
        ("transfers_single", lambda: service_run(knobs, wallets, clients=1)),
        ("purchases_single", lambda: purchases_run(knobs, wallets, product.pk, clients=1)),
    ]
    for name, run in runs:
        log(f"{name} for {knobs.seconds}s")
        result[name] = run()
        log(f"  {result[name]['per_second']}/s, p50 {result[name]['p50_ms']} ms, p99 {result[name]['p99_ms']} ms")
    log(f"purchases with one revenue account for {knobs.seconds}s")
    with override_settings(LEDGER_REVENUE_SHARDS=1):
        result["purchases_one_revenue_account"] = purchases_run(knobs, wallets, product.pk)
    one = result["purchases_one_revenue_account"]
    log(f"  {one['per_second']}/s, p50 {one['p50_ms']} ms, p99 {one['p99_ms']} ms")
    result["ratios"] = ratios(result)
    for key, value in result["ratios"].items():
        log(f"  {key}: {value}")
    result.update(revenue_check(product, revenue_before))
    result["ledger"] = db.verify_ledger(target)
    emit(result)


if __name__ == "__main__":
    main()
