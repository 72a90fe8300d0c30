"""Reads for commerce: catalogue, purchases, subscriptions and the purchase counts the limits need.
Recommendations live in `comrade.commerce.recommendations`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from rest_framework.generics import get_object_or_404

from comrade.commerce.models import PaymentItem, Product, Purchase, UserSubscription
from comrade.core.errors import NotFound, field_error
from comrade.ledger.models import TransactionToken

ROLLING_MONTH = timedelta(days=30)
IN_FLIGHT = (TransactionToken.Status.PENDING, TransactionToken.Status.AUTHORIZED, TransactionToken.Status.VERIFIED)


def products_visible_to(user) -> QuerySet[Product]:
    products = Product.objects.order_by("name", "id")
    return products if user.is_staff else products.filter(is_available=True)


def product_get(pk) -> Product:
    """Any product, available or not: buying an unavailable one is a clear 400, not a 404."""
    return get_object_or_404(Product.objects.all(), pk=pk)


def payment_items_visible_to(user) -> QuerySet[PaymentItem]:
    items = PaymentItem.objects.order_by("name", "id")
    return items if user.is_staff else items.filter(is_active=True)


def payment_item_get(pk) -> PaymentItem:
    return get_object_or_404(PaymentItem.objects.all(), pk=pk)


def purchases_of(user) -> QuerySet[Purchase]:
    return (
        Purchase.objects.filter(buyer=user)
        .select_related("product", "payment_item", "transaction")
        .prefetch_related("transaction__status_changes")
        .order_by("-id")
    )


def purchases_in_rolling_month(user, *, now: datetime) -> int:
    """Purchases made in the 30 days before `now`, counting external purchase payments still in
    flight (their purchase row appears only when the provider's money settles)."""
    since = now - ROLLING_MONTH
    done = Purchase.objects.filter(buyer=user, created_at__gt=since).count()
    pending = TransactionToken.objects.filter(
        sender=user,
        transaction_type=TransactionToken.Type.PURCHASE,
        payment_method=TransactionToken.PaymentMethod.EXTERNAL,
        status__in=IN_FLIGHT,
        created_at__gt=since,
    ).count()
    return done + pending


def external_purchases_in_flight(*, product_id: int | None = None, payment_item_id: int | None = None) -> bool:
    """External purchase payments not yet settled or failed that name this product or item (in
    their metadata: the purchase row appears only when the money settles)."""
    target = (
        {"metadata__product_id": product_id}
        if product_id is not None
        else {"metadata__payment_item_id": payment_item_id}
    )
    return TransactionToken.objects.filter(
        transaction_type=TransactionToken.Type.PURCHASE,
        payment_method=TransactionToken.PaymentMethod.EXTERNAL,
        status__in=IN_FLIGHT,
        **target,
    ).exists()


def active_subscription(user) -> UserSubscription | None:
    return UserSubscription.objects.filter(user=user, status=UserSubscription.Status.ACTIVE).first()


def active_subscription_type(user) -> str | None:
    return (
        UserSubscription.objects.filter(user=user, status=UserSubscription.Status.ACTIVE)
        .values_list("subscription_type", flat=True)
        .first()
    )


def subscriptions_of(user) -> QuerySet[UserSubscription]:
    return UserSubscription.objects.filter(user=user).select_related("last_transaction").order_by("-id")


@dataclass(frozen=True)
class Usage:
    """Where a user stands against the limits of their tier (comrade.limits), counted as the
    checks count: open groups they administer, purchases in the rolling month (with external
    ones in flight), and the members of their fullest open group."""

    groups_created: int
    purchases_this_month: int
    largest_group_members: int


def usage_of(user, *, now: datetime) -> Usage:
    from comrade.groups.models import GroupMembers, PaymentGroups

    administered = PaymentGroups.objects.filter(admin=user, closed_at__isnull=True)
    fullest = (
        GroupMembers.objects.filter(group__in=administered)
        .values("group_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return Usage(
        groups_created=administered.count(),
        purchases_this_month=purchases_in_rolling_month(user, now=now),
        largest_group_members=fullest or 0,
    )


def subscriptions_due(now: datetime) -> QuerySet[UserSubscription]:
    """ACTIVE subscriptions whose period has ended and whose next renewal attempt is due."""
    return (
        UserSubscription.objects.filter(status=UserSubscription.Status.ACTIVE, end_date__lte=now)
        .exclude(next_attempt_at__gt=now)
        .order_by("end_date", "id")
    )


def purchase_group_for(user, group_id: int):
    """The PURCHASE group whose pot pays; a group the caller is not a member of is 404 (whether
    the caller is its admin is the groups service's check)."""
    from comrade.groups.models import PaymentGroups

    group = PaymentGroups.objects.filter(pk=group_id, members__user=user).first()
    if group is None:
        raise NotFound("No such payment group.")
    if group.group_type != PaymentGroups.GroupType.PURCHASE:
        raise field_error("group_id", "Only a PURCHASE group's pot can buy products.", code="not_a_purchase_group")
    return group
