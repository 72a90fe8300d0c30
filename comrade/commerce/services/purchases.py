"""Buying products and paying for payment items.

Money goes from the buyer's wallet (or an external provider, or a purchase group's pot) to the
platform's sales revenue as one PURCHASE transaction, and a Purchase row records who
bought what, how many, at which price, and the transaction. The tier's purchase limits are
checked before anything is written; insufficient funds leave a FAILED transaction and no
Purchase. An external payment writes its Purchase when the provider's money settles
(`purchase_settled`, registered with comrade.core.settlement).

Sales revenue is sharded (`ledger.services.revenue_account`): each payer's money goes to the shard
of its own account (wallet or pot), so purchases by different people lock different rows. What is
bought is locked FOR SHARE, not FOR UPDATE: concurrent buyers of one product do not wait on each
other, while an edit or delete of the product still waits for them (products have no stock).

On PostgreSQL a wallet purchase is one call of the database function ledger_purchase() (migration
ledger/0012, through ledger.services `purchase_open_settled`): the same locks, checks and rows as
`_checkout_wallet_step_by_step` in one round trip. What it refuses or cannot do (the first purchase
into a new revenue shard) runs the step-by-step path, which raises the errors. SQLite always runs it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from comrade import limits
from comrade.commerce.models import PaymentItem, Product, Purchase, UserSubscription
from comrade.commerce.selectors import ROLLING_MONTH, purchases_in_rolling_month
from comrade.core import settlement
from comrade.core.errors import field_error
from comrade.ledger.models import LedgerAccount, PaymentProfile, TransactionToken, default_currency
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import (
    Leg,
    PurchaseRefused,
    purchase_open_settled,
    revenue_account,
    transaction_open_settled,
    wallet_account_id,
)

MAX_QUANTITY = 100
Type = TransactionToken.Type
Method = TransactionToken.PaymentMethod


@dataclass(frozen=True)
class Order:
    """What is being bought; the price always comes from the catalogue, never from the client."""

    buyer: object
    quantity: int
    unit_price: Decimal
    product: Product | None = None
    payment_item: PaymentItem | None = None

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def description(self) -> str:
        return f"{self.product or self.payment_item} x{self.quantity}"[:255]

    def purchase(self, **extra) -> Purchase:
        """The Purchase row that records this order, unsaved."""
        return Purchase(
            buyer=self.buyer,
            product=self.product,
            payment_item=self.payment_item,
            quantity=self.quantity,
            unit_price=self.unit_price,
            total=self.total,
            **extra,
        )

    def metadata(self) -> dict:
        target = {"product_id": self.product.pk} if self.product else {"payment_item_id": self.payment_item.pk}
        return {**target, "quantity": self.quantity, "unit_price": str(self.unit_price)}


@dataclass(frozen=True)
class PurchaseOutcome:
    """The transaction (COMPLETED, FAILED, or PENDING for an external payment) and the purchase
    it paid for, when it is paid."""

    transaction: TransactionToken
    purchase: Purchase | None


SALES = "sales"


def sales_account(*, payer_account_id: int) -> LedgerAccount:
    """The sales revenue shard that the payer's account (wallet or group pot) pays into."""
    return revenue_account(SALES, payer_account_id=payer_account_id)


def product_purchase(
    *, buyer, product: Product, quantity: int, payment_method: str = Method.INTERNAL, provider: str = ""
) -> PurchaseOutcome:
    _check_available(product)
    order = _order(buyer=buyer, quantity=quantity, unit_price=product.price, product=product)
    return _checkout(order, payment_method=payment_method, provider=provider)


@dataclass(frozen=True)
class PurchasePreview:
    """What a wallet purchase would charge, and where the buyer stands afterwards."""

    order: Order
    balance: Decimal
    tier: limits.Tier
    purchases_this_month: int

    @property
    def balance_after(self) -> Decimal:
        return self.balance - self.order.total


def product_purchase_preview(*, buyer, product: Product, quantity: int) -> PurchasePreview:
    """The checks `product_purchase` makes from the wallet (availability, quantity, total, tier
    limits) and the balance it needs, without writing or locking anything: a review page shows
    it before the buyer confirms. The purchase itself checks everything again under its locks."""
    _check_available(product)
    order = _order(buyer=buyer, quantity=quantity, unit_price=product.price, product=product)
    return _preview(order, balance=balance_of(buyer), short="Insufficient balance", field="quantity")


def payment_item_pay_preview(*, payer, item: PaymentItem, quantity: int) -> PurchasePreview:
    """`product_purchase_preview` for `payment_item_pay`."""
    _check_active(item)
    order = _order(buyer=payer, quantity=quantity, unit_price=item.price, payment_item=item)
    return _preview(order, balance=balance_of(payer), short="Insufficient balance", field="quantity")


def product_purchase_from_pot_preview(*, admin, group, product: Product, quantity: int) -> PurchasePreview:
    """`product_purchase_preview` for `product_purchase_from_pot`: the admin's tier limits and
    the pot's balance (`balance` is the pot's). The admin's rights and the group's approvals are
    decided when the purchase runs."""
    from comrade.groups.services.pot import pot_balance

    _check_available(product)
    order = _order(buyer=admin, quantity=quantity, unit_price=product.price, product=product)
    short = f"Insufficient funds in the {group.name} pot"
    return _preview(order, balance=pot_balance(group), short=short, field="group")


def _preview(order: Order, *, balance: Decimal, short: str, field: str) -> PurchasePreview:
    count = purchases_in_rolling_month(order.buyer, now=timezone.now())
    limits.check_purchase(order.buyer, amount=order.total, purchases_this_month=count)
    if balance < order.total:
        raise field_error(field, f"{short}: {balance} available, {order.total} needed.", code="insufficient_funds")
    return PurchasePreview(order=order, balance=balance, tier=limits.tier_of(order.buyer), purchases_this_month=count)


def _check_available(product: Product) -> None:
    if not product.is_available:
        raise field_error("product", "This product is not available.", code="product_unavailable")


def _check_active(item: PaymentItem) -> None:
    if not item.is_active:
        raise field_error("payment_item", "This payment item is not active.", code="payment_item_inactive")


def payment_item_pay(
    *, payer, item: PaymentItem, quantity: int = 1, payment_method: str = Method.INTERNAL, provider: str = ""
) -> PurchaseOutcome:
    """A payment whose purpose is a payment item: the amount is the item's price."""
    _check_active(item)
    _ensure_deployment_currency(item)
    order = _order(buyer=payer, quantity=quantity, unit_price=item.price, payment_item=item)
    return _checkout(order, payment_method=payment_method, provider=provider)


def product_purchase_from_pot(
    *, admin, group, product: Product, quantity: int, approved_request=None
) -> PurchaseOutcome:
    """A purchase group's admin buys with the group's pot. The admin's tier limits apply; the
    groups service checks the admin's rights, the pot's balance and, when the group requires
    several approvals, that this is the execution of its approved "pot_purchase" request."""
    from comrade.groups.services import group_pot_pay

    _check_available(product)
    order = _order(buyer=admin, quantity=quantity, unit_price=product.price, product=product)
    with transaction.atomic():
        _check_limits(order)
        txn = group_pot_pay(
            group=group,
            admin=admin,
            amount=order.total,
            credit_account_id=sales_account(payer_account_id=group.pot_id).pk,
            transaction_type=Type.PURCHASE,
            description=order.description,
            metadata={**order.metadata(), "group_id": group.pk},
            approved_request=approved_request,
        )
        return _recorded(order, txn, group=group)


def purchase_prepare(txn: TransactionToken) -> None:
    """Settlement step 1 for an external PURCHASE: lock what was bought and refuse the money when
    it can no longer be sold (deleted, made unavailable or inactive while the customer paid), so
    the gateway credits the payer's wallet instead of failing on every webhook retry."""
    target = _bought(txn)
    if target is None:
        return
    row = target.model.objects.select_for_update().filter(pk=target.pk).first()
    if row is None or not getattr(row, target.flag):
        raise settlement.Refused(target.refusal, f"{target.label} {target.pk} can no longer be bought.")


def purchase_settled(txn: TransactionToken) -> Purchase | None:
    """Settlement handler for external PURCHASE payments: the money is in revenue, record the
    purchase (once, however often the provider tells us). Anything that stops the record being
    written raises settlement.Refused, never a database error at commit."""
    target = _bought(txn)
    if target is None:
        return None
    existing = Purchase.objects.filter(transaction=txn).first()
    if existing is not None:
        return existing
    if not target.model.objects.filter(pk=target.pk).exists():
        raise settlement.Refused(target.refusal, f"{target.label} {target.pk} no longer exists.")
    quantity, unit_price = _recorded_terms(txn)
    return Purchase.objects.create(
        buyer_id=txn.sender_id,
        quantity=quantity,
        unit_price=unit_price,
        total=txn.amount,
        transaction=txn,
        **{target.field: target.pk},
    )


@dataclass(frozen=True)
class _Bought:
    """What an external PURCHASE transaction's metadata says was bought."""

    model: type
    pk: int
    field: str
    flag: str
    label: str
    refusal: str


def _bought(txn: TransactionToken) -> _Bought | None:
    meta = txn.metadata or {}
    field = next((name for name in _BOUGHT if name in meta), None)
    if field is None:
        return None
    model, flag, label, refusal = _BOUGHT[field]
    pk = meta[field]
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise settlement.Refused("purchase_record_invalid", f"The payment names no valid {label.lower()}.")
    return _Bought(model=model, pk=pk, field=field, flag=flag, label=label, refusal=refusal)


_BOUGHT = {
    "product_id": (Product, "is_available", "Product", "product_unavailable"),
    "payment_item_id": (PaymentItem, "is_active", "Payment item", "payment_item_inactive"),
}


def _recorded_terms(txn: TransactionToken) -> tuple[int, Decimal]:
    """Quantity and unit price from the metadata written at checkout, checked against the amount
    actually paid (the purchase row's CHECK would otherwise fail at commit)."""
    meta = txn.metadata
    try:
        quantity, unit_price = int(meta["quantity"]), Decimal(str(meta["unit_price"]))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        quantity, unit_price = 0, Decimal(0)
    if quantity < 1 or not unit_price.is_finite() or unit_price <= 0 or unit_price * quantity != txn.amount:
        raise settlement.Refused("purchase_record_invalid", "The payment's purchase terms do not match its amount.")
    return quantity, unit_price


def _ensure_deployment_currency(item: PaymentItem) -> None:
    """An item stored in another currency (before prices were checked) would charge its number in
    the deployment's currency: refuse it rather than convert or guess."""
    accepted = default_currency()
    if item.currency.upper() != accepted:
        raise field_error(
            "payment_item",
            f"This payment item is priced in {item.currency}; payments here are in {accepted}.",
            code="unsupported_currency",
        )


def _order(*, buyer, quantity: int, unit_price: Decimal, **target) -> Order:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise field_error("quantity", f"Quantity must be between 1 and {MAX_QUANTITY}.", code="invalid_quantity")
    order = Order(buyer=buyer, quantity=quantity, unit_price=unit_price, **target)
    if order.total > settings.MAX_TRANSACTION_AMOUNT:
        raise field_error(
            "quantity", f"The total may be at most {settings.MAX_TRANSACTION_AMOUNT}.", code="amount_too_large"
        )
    return order


def _check_limits(order: Order) -> int | None:
    """Call inside the transaction that writes the purchase (or opens its external payment): the
    buyer's row is locked first, so two purchases by one buyer cannot both see the last free
    slot, and the count includes external purchase payments still in flight. Then what is bought
    is locked, so it cannot be deleted or withdrawn while the purchase is written. Returns the
    buyer's wallet account id (None without a wallet)."""
    buyer = _lock_buyer(order.buyer)
    _lock_target(order)
    _count_and_check(order, tier=limits.tier_named(buyer.subscription_type))
    return buyer.wallet_account_id


def _lock_target(order: Order) -> None:
    if order.product is not None:
        if not _share_locked(Product, order.product.pk, "is_available"):
            raise field_error("product", "This product is not available.", code="product_unavailable")
        return
    if not _share_locked(PaymentItem, order.payment_item.pk, "is_active"):
        raise field_error("payment_item", "This payment item is not active.", code="payment_item_inactive")


def _share_locked(model: type, pk: int, flag: str) -> bool:
    """Whether the row exists with `flag` set, read under FOR SHARE on PostgreSQL (Django's ORM
    has no FOR SHARE): buyers share the lock, so one popular product is no queue, while an UPDATE
    (withdrawing it) or DELETE waits until the purchases holding it commit. On SQLite the
    database's single writer lock already orders them."""
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    table, column = model._meta.db_table, model._meta.get_field(flag).column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s{lock}", [pk])
        row = cursor.fetchone()
    return row is not None and bool(row[0])


def _count_and_check(order: Order, *, tier: limits.Tier | None = None) -> None:
    """The tier's limits; the purchases of the rolling month are counted only when the tier
    limits their number (two counts saved on every purchase of an unlimited tier)."""
    tier = tier or limits.tier_of(order.buyer)
    counted = tier.max_purchases_per_month is not None
    count = purchases_in_rolling_month(order.buyer, now=timezone.now()) if counted else 0
    limits.check_purchase(order.buyer, amount=order.total, purchases_this_month=count, tier=tier)


@dataclass(frozen=True)
class _LockedBuyer:
    wallet_account_id: int | None
    subscription_type: str | None  # of the ACTIVE subscription; None is the default tier


def _lock_buyer(buyer) -> _LockedBuyer:
    """Every purchase route locks the buyer's user row before anything else (a group, ledger
    accounts). FOR NO KEY UPDATE still lets other transactions insert rows that point at the user
    (a transfer to them), so it cannot deadlock with those. The same statement reads the buyer's
    wallet and tier (at most one ACTIVE subscription: a partial unique index); only the user row
    is locked."""
    user_model = get_user_model()
    lock = " FOR NO KEY UPDATE OF u" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.account_id, s.subscription_type FROM {user_model._meta.db_table} u"
            f" LEFT JOIN {PaymentProfile._meta.db_table} p ON p.user_id = u.id"
            f" LEFT JOIN {UserSubscription._meta.db_table} s ON s.user_id = u.id AND s.status = %s"
            f" WHERE u.id = %s{lock}",
            [UserSubscription.Status.ACTIVE, buyer.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise user_model.DoesNotExist(f"No user {buyer.pk}.")
    return _LockedBuyer(wallet_account_id=row[0], subscription_type=row[1])


def _checkout(order: Order, *, payment_method: str, provider: str) -> PurchaseOutcome:
    if payment_method == Method.EXTERNAL:
        return _checkout_external(order, provider=provider)
    return _checkout_wallet(order)


def _checkout_wallet(order: Order) -> PurchaseOutcome:
    """On PostgreSQL one call of the database function ledger_purchase() (ledger.services
    `purchase_open_settled`) makes the checks and the writes of `_checkout_wallet_step_by_step`;
    whatever it leaves to the step-by-step path (a refusal, a revenue shard not yet created) runs
    there, which raises the same errors as ever."""
    if connection.vendor == "postgresql":
        try:
            return _checkout_wallet_in_one_call(order)
        except PurchaseRefused:
            pass
    return _checkout_wallet_step_by_step(order)


def _checkout_wallet_in_one_call(order: Order) -> PurchaseOutcome:
    purchase = order.purchase()
    tiers = limits.tiers()
    txn = purchase_open_settled(
        purchase=purchase,
        stream=SALES,
        tiers={name: [t.max_purchase_amount, t.max_purchases_per_month] for name, t in tiers.items()},
        default_tier=limits.DEFAULT_TIER,
        since=timezone.now() - ROLLING_MONTH,
        sender=order.buyer,
        amount=order.total,
        transaction_type=Type.PURCHASE,
        payment_method=Method.INTERNAL,
        description=order.description,
        metadata=order.metadata(),
    )
    return PurchaseOutcome(transaction=txn, purchase=purchase if purchase.pk is not None else None)


def _checkout_wallet_step_by_step(order: Order) -> PurchaseOutcome:
    with transaction.atomic():
        wallet = _check_limits(order) or wallet_account_id(order.buyer)
        revenue = sales_account(payer_account_id=wallet).pk
        txn = transaction_open_settled(
            legs=[Leg(wallet, -order.total), Leg(revenue, order.total)],
            sender=order.buyer,
            amount=order.total,
            transaction_type=Type.PURCHASE,
            payment_method=Method.INTERNAL,
            description=order.description,
            metadata=order.metadata(),
        )
        return _recorded(order, txn)


def _checkout_external(order: Order, *, provider: str) -> PurchaseOutcome:
    from comrade.gateways.services import external_payment_start

    if not provider:
        raise field_error("external_payment_provider", "Choose a provider for an EXTERNAL payment.", code="required")
    _count_and_check(order)  # an early refusal touches nothing; the guard decides under the lock
    txn = external_payment_start(
        user=order.buyer,
        guard=lambda: _check_limits(order),
        amount=order.total,
        provider=provider,
        transaction_type=Type.PURCHASE,
        credit_account_id=sales_account(payer_account_id=wallet_account_id(order.buyer)).pk,
        description=order.description,
        metadata=order.metadata(),
    )
    return PurchaseOutcome(transaction=txn, purchase=None)


def _recorded(order: Order, txn: TransactionToken, *, group=None) -> PurchaseOutcome:
    if txn.status != TransactionToken.Status.COMPLETED:
        return PurchaseOutcome(transaction=txn, purchase=None)
    purchase = order.purchase(transaction=txn, **({"group": group} if group is not None else {}))
    purchase.save(force_insert=True)
    return PurchaseOutcome(transaction=txn, purchase=purchase)
