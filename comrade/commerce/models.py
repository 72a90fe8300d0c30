"""Commerce: products and payment items bought through the ledger, the purchase records that link
a buyer to what was bought and the transaction that paid for it, and subscriptions to a tier.

Invariants the database keeps: prices are positive, a purchase is for exactly one product or one
payment item with quantity > 0 and total = unit_price * quantity, one purchase per transaction,
and a user has at most one ACTIVE subscription.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from comrade.core.money import money_model_field
from comrade.ledger.models import TransactionToken, default_currency


class Product(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = money_model_field(default=None)
    category = models.CharField(max_length=64)
    is_available = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="product_price_positive")]
        indexes = [
            models.Index(fields=["category"]),
            models.Index(fields=["is_available"]),
            models.Index(fields=["is_available", "category"], name="product_available_category"),
        ]

    def __str__(self) -> str:
        return self.name


class PaymentItem(models.Model):
    """A purpose a payment can name (a fee, a ticket): its price is the amount charged."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = money_model_field(default=None)
    currency = models.CharField(max_length=3, default=default_currency)  # read when a row is made
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="payment_item_price_positive")]
        indexes = [models.Index(fields=["is_active"])]

    def __str__(self) -> str:
        return self.name


class Purchase(models.Model):
    """An order: who bought what, how many, at which price, paid by which transaction (from the
    buyer's wallet, an external provider, or a purchase group's pot)."""

    # The foreign keys' own indexes are left out: the composite indexes below lead with buyer and
    # with product, and group and payment item are indexed only where set (most purchases are
    # neither a group's nor a payment item's). Each index is written on every purchase (issue 12).
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases", db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="purchases", db_index=False
    )
    payment_item = models.ForeignKey(
        PaymentItem, on_delete=models.PROTECT, null=True, blank=True, related_name="purchases", db_index=False
    )
    quantity = models.PositiveIntegerField()
    unit_price = money_model_field(default=None)
    total = money_model_field(default=None)
    transaction = models.OneToOneField(TransactionToken, on_delete=models.PROTECT, related_name="purchase")
    group = models.ForeignKey(
        "groups.PaymentGroups",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchases",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="purchase_unit_price_positive"),
            models.CheckConstraint(condition=Q(total=F("unit_price") * F("quantity")), name="purchase_total_matches"),
            models.CheckConstraint(
                condition=Q(product__isnull=False, payment_item__isnull=True)
                | Q(product__isnull=True, payment_item__isnull=False),
                name="purchase_product_xor_payment_item",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="purchase_buyer_newest"),
            models.Index(fields=["buyer", "product"], name="purchase_buyer_product"),
            models.Index(fields=["product", "buyer"], name="purchase_product_buyer"),
            models.Index(fields=["buyer", "created_at"], name="purchase_buyer_created"),
            models.Index(fields=["group"], condition=Q(group__isnull=False), name="purchase_group"),
            models.Index(
                fields=["payment_item"], condition=Q(payment_item__isnull=False), name="purchase_payment_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} x{self.quantity} {self.product or self.payment_item}"


class UserSubscription(models.Model):
    """One row per stretch of time on one tier. Renewal extends the row; an upgrade closes it
    (CANCELLED) and opens the new tier's row; a downgrade opens the new row at renewal."""

    class Tier(models.TextChoices):
        BASIC = "BASIC"
        STANDARD = "STANDARD"
        PREMIUM = "PREMIUM"
        ENTERPRISE = "ENTERPRISE"

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        CANCELLED = "CANCELLED"  # replaced by another tier before its end
        EXPIRED = "EXPIRED"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    subscription_type = models.CharField(max_length=16, choices=Tier.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateTimeField()
    end_date = models.DateTimeField()
    auto_renew = models.BooleanField(default=True)
    price = money_model_field()  # charged per period for this row's tier
    next_subscription_type = models.CharField(max_length=16, choices=Tier.choices, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_transaction = models.ForeignKey(
        TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="ACTIVE"), name="one_active_subscription_per_user"
            ),
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="subscription_dates_ordered"),
            models.CheckConstraint(condition=Q(price__gte=0), name="subscription_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["user"]),
            models.Index(fields=["status"]),
            models.Index(fields=["subscription_type"]),
            models.Index(fields=["status", "end_date"], name="subscription_due"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.subscription_type} {self.status}"
