"""comrade.limits: the tier's limits at their edges, read from the ACTIVE subscription."""

import copy
from decimal import Decimal

import pytest

from comrade import limits
from comrade.commerce.tests.factories import ProductFactory, subscription
from comrade.core.errors import ApplicationError

pytestmark = pytest.mark.django_db
TIER_LIMITS = {  # members per group / purchases per month / groups a user may create
    "BASIC": (3, 6, 3),
    "STANDARD": (7, 25, 10),
    "PREMIUM": (12, 45, 20),
}


def refused(check, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        check(*args, **kwargs)
    assert exc.value.status_code == 403
    return exc.value


def test_the_tier_is_the_active_subscriptions(user):
    assert limits.tier_of(user).name == "BASIC"
    sub = subscription(user, "PREMIUM")
    assert limits.tier_of(user).name == "PREMIUM"
    sub.status = "EXPIRED"
    sub.save()
    assert limits.tier_of(user).name == "BASIC"
    subscription(user, "STANDARD", status="CANCELLED")
    assert limits.tier_of(user).name == "BASIC"


@pytest.mark.parametrize("tier", TIER_LIMITS)
def test_group_limits_at_their_edges(user, tier):
    members, _, groups = TIER_LIMITS[tier]
    if tier != "BASIC":
        subscription(user, tier)
    limits.check_group_create(user, groups_created=groups - 1)
    error = refused(limits.check_group_create, user, groups_created=groups)
    assert (error.code, error.extra) == ("group_limit_reached", {"tier": tier, "limit": str(groups)})
    limits.check_group_members(user, member_count=members - 1)
    error = refused(limits.check_group_members, user, member_count=members)
    assert (error.code, error.extra["limit"]) == ("member_limit_reached", str(members))


@pytest.mark.parametrize("tier", TIER_LIMITS)
def test_purchase_count_limit_at_its_edge(user, tier):
    _, per_month, _ = TIER_LIMITS[tier]
    if tier != "BASIC":
        subscription(user, tier)
    limits.check_purchase(user, amount=Decimal("1.00"), purchases_this_month=per_month - 1)
    error = refused(limits.check_purchase, user, amount=Decimal("1.00"), purchases_this_month=per_month)
    assert error.code == "purchase_count_limit" and error.extra["limit"] == str(per_month)


def test_purchase_amount_limit_at_its_edge(user):
    limits.check_purchase(user, amount=Decimal("500.00"), purchases_this_month=0)
    error = refused(limits.check_purchase, user, amount=Decimal("500.01"), purchases_this_month=0)
    assert error.code == "purchase_amount_limit" and error.extra == {"tier": "BASIC", "limit": "500.00"}


def test_enterprise_is_unlimited(user):
    subscription(user, "ENTERPRISE")
    limits.check_group_create(user, groups_created=10_000)
    limits.check_group_members(user, member_count=10_000)
    limits.check_purchase(user, amount=Decimal("999999.99"), purchases_this_month=10_000)


def test_the_transaction_rate_follows_the_tier(settings, make_user, client_for):
    tiers = copy.deepcopy(settings.SUBSCRIPTION_TIERS)
    tiers["BASIC"]["transactions_per_hour"] = 2
    tiers["PREMIUM"]["transactions_per_hour"] = None
    settings.SUBSCRIPTION_TIERS = tiers
    product = ProductFactory()
    basic, premium = make_user(balance="100.00"), make_user(balance="100.00")
    subscription(premium, "PREMIUM")
    url = f"/payments/products/{product.pk}/purchase/"
    codes = [client_for(basic).post(url, {}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    response = client_for(basic).post(url, {})
    assert response.data["code"] == "throttled" and int(response["Retry-After"]) > 0
    assert client_for(basic).get("/payments/products/").status_code == 200  # reads are not money moves
    assert [client_for(premium).post(url, {}).status_code for _ in range(3)] == [201, 201, 201]
