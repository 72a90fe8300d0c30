"""Limits and quotas by subscription tier: the module the spec calls `Payment/utils.py`.

Tiers and their numbers are defined once, in settings.SUBSCRIPTION_TIERS. A user's tier is the
tier of their ACTIVE subscription, BASIC without one. Every check raises a 403 ApplicationError
whose code names the limit that was hit (and carries `tier` and `limit`), so clients can tell them
apart: purchase_amount_limit, purchase_count_limit, group_limit_reached, member_limit_reached;
the per-tier transaction rate answers 429 `throttled` like every DRF throttle.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from rest_framework.throttling import UserRateThrottle

from comrade.core.errors import Forbidden

DEFAULT_TIER = "BASIC"


@dataclass(frozen=True)
class Tier:
    name: str
    price: Decimal
    max_group_members: int | None
    max_purchases_per_month: int | None
    max_groups_created: int | None
    max_purchase_amount: Decimal | None
    transactions_per_hour: int | None


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def tiers() -> dict[str, Tier]:
    return {
        name: Tier(
            name=name,
            price=Decimal(conf["price"]),
            max_group_members=conf["max_group_members"],
            max_purchases_per_month=conf["max_purchases_per_month"],
            max_groups_created=conf["max_groups_created"],
            max_purchase_amount=_decimal(conf["max_purchase_amount"]),
            transactions_per_hour=conf["transactions_per_hour"],
        )
        for name, conf in settings.SUBSCRIPTION_TIERS.items()
    }


def tier_of(user) -> Tier:
    """The tier of the user's ACTIVE subscription, BASIC without one."""
    return tier_named(active_tier_name(user))


def tier_named(name: str | None) -> Tier:
    """The tier of an ACTIVE subscription's type (BASIC for None or an unknown name)."""
    known = tiers()
    return known.get(name or DEFAULT_TIER, known[DEFAULT_TIER])


def active_tier_name(user) -> str:
    from comrade.commerce.selectors import active_subscription_type

    if user is None or not getattr(user, "is_authenticated", False):
        return DEFAULT_TIER
    return active_subscription_type(user) or DEFAULT_TIER


def _refuse(code: str, message: str, tier: Tier, limit) -> None:
    raise Forbidden(code, message, extra={"tier": tier.name, "limit": str(limit)})


def check_group_create(user, *, groups_created: int) -> None:
    tier = tier_of(user)
    if tier.max_groups_created is not None and groups_created >= tier.max_groups_created:
        _refuse(
            "group_limit_reached",
            f"The {tier.name} tier allows {tier.max_groups_created} groups.",
            tier,
            tier.max_groups_created,
        )


def check_group_members(group_admin, *, member_count: int) -> None:
    """Members a group may have follow the tier of the group's admin."""
    tier = tier_of(group_admin)
    if tier.max_group_members is not None and member_count >= tier.max_group_members:
        _refuse(
            "member_limit_reached",
            f"A {tier.name} group may have {tier.max_group_members} members.",
            tier,
            tier.max_group_members,
        )


def check_purchase(user, *, amount: Decimal, purchases_this_month: int, tier: Tier | None = None) -> None:
    """`amount` is the whole purchase (price x quantity); `purchases_this_month` counts the
    user's purchases in the rolling 30 days before this one. `tier` is the user's, when the
    caller has read it already."""
    tier = tier or tier_of(user)
    if tier.max_purchase_amount is not None and amount > tier.max_purchase_amount:
        _refuse(
            "purchase_amount_limit",
            f"The {tier.name} tier allows purchases up to {tier.max_purchase_amount}.",
            tier,
            tier.max_purchase_amount,
        )
    if tier.max_purchases_per_month is not None and purchases_this_month >= tier.max_purchases_per_month:
        _refuse(
            "purchase_count_limit",
            f"The {tier.name} tier allows {tier.max_purchases_per_month} purchases per rolling month.",
            tier,
            tier.max_purchases_per_month,
        )


class TierTransactionThrottle(UserRateThrottle):
    """Money-moving requests per hour by the caller's tier (`transactions_per_hour`; None means
    unlimited). It runs beside the global DRF user throttle, which still applies."""

    scope = "tier_transactions"

    def get_rate(self):
        return None  # decided per request in allow_request, once the user is known

    def allow_request(self, request, view):
        per_hour = tier_of(request.user).transactions_per_hour
        if per_hour is None:
            return True
        self.rate = f"{per_hour}/hour"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TierThrottledMixin:
    """For viewsets: adds TierTransactionThrottle to the actions listed in `money_actions`."""

    money_actions: tuple[str, ...] = ()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action in self.money_actions:
            throttles.append(TierTransactionThrottle())
        return throttles
