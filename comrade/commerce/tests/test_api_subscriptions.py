from decimal import Decimal

import pytest

from comrade.commerce.models import UserSubscription
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
URL = "/payments/subscriptions/"


def test_plans_list_every_tier_with_price_period_and_limits(api):
    plans = {p["subscription_type"]: p for p in api.get(f"{URL}plans/").data}
    assert list(plans) == ["BASIC", "STANDARD", "PREMIUM", "ENTERPRISE"]
    assert [plans[t]["price"] for t in plans] == ["0.00", "9.99", "19.99", "49.99"]
    keys = ("max_group_members", "max_purchases_per_month", "max_groups_created")
    limits = {tier: tuple(plan[key] for key in keys) for tier, plan in plans.items()}
    assert limits == {"BASIC": (3, 6, 3), "STANDARD": (7, 25, 10), "PREMIUM": (12, 45, 20), "ENTERPRISE": (None,) * 3}
    assert plans["BASIC"]["period_days"] == 30 and plans["ENTERPRISE"]["max_purchase_amount"] is None


def test_subscribe_list_and_retrieve_mine(api, user, make_user, client_for):
    response = api.post(URL, {"subscription_type": "STANDARD"})
    assert response.status_code == 201, response.data
    assert response.data["subscription_type"] == "STANDARD" and response.data["status"] == "ACTIVE"
    assert response.data["price"] == "9.99" and response.data["auto_renew"] is True
    assert response.data["transaction"]["amount"] == "9.99" and response.data["transaction"]["status"] == "COMPLETED"
    assert balance_of(user) == Decimal("90.01")
    other = make_user(balance="60.00")
    theirs = client_for(other).post(URL, {"subscription_type": "ENTERPRISE", "auto_renew": False}).data
    assert theirs["auto_renew"] is False
    listing = api.get(URL).data["results"]
    assert [s["subscription_type"] for s in listing] == ["STANDARD"]
    assert api.get(f"{URL}{theirs['id']}/").status_code == 404
    assert api.get(f"{URL}{listing[0]['id']}/").data["user"] == user.pk


def test_upgrade_and_downgrade_through_http(api, user):
    api.post(URL, {"subscription_type": "STANDARD"})
    upgraded = api.post(URL, {"subscription_type": "PREMIUM"})
    assert upgraded.status_code == 201 and upgraded.data["subscription_type"] == "PREMIUM"
    charged = Decimal(upgraded.data["transaction"]["amount"])
    assert Decimal("9.99") <= charged <= Decimal("10.00")  # the whole period is left
    downgraded = api.post(URL, {"subscription_type": "STANDARD"})
    assert downgraded.status_code == 200 and downgraded.data["transaction"] is None
    assert downgraded.data["subscription_type"] == "PREMIUM" and downgraded.data["next_subscription_type"] == "STANDARD"
    assert [s["status"] for s in api.get(URL).data["results"]] == ["ACTIVE", "CANCELLED"]


def test_cancel_turns_auto_renew_off_and_stays_active(api, user, make_user, client_for):
    sub = api.post(URL, {"subscription_type": "PREMIUM"}).data
    other = client_for(make_user())
    assert other.post(f"{URL}{sub['id']}/cancel/").status_code == 404
    response = api.post(f"{URL}{sub['id']}/cancel/")
    assert response.status_code == 200
    assert response.data["status"] == "ACTIVE" and response.data["auto_renew"] is False
    assert UserSubscription.objects.get(pk=sub["id"]).auto_renew is False


def test_refusals_are_clear_and_write_nothing(api, user, unchanged):
    with unchanged():
        response = api.post(URL, {"subscription_type": "GOLD"})
        assert response.status_code == 400 and "subscription_type" in response.data["fields"]
        assert api.post(URL, {}).status_code == 400
        response = api.post(URL, {"subscription_type": "BASIC"})
        assert response.status_code == 400 and response.data["code"] == "already_on_tier"
    api.post(URL, {"subscription_type": "STANDARD"})
    with unchanged():
        response = api.post(URL, {"subscription_type": "STANDARD"})
        assert response.status_code == 400 and response.data["code"] == "already_subscribed"
        assert api.put(f"{URL}{UserSubscription.objects.get().pk}/", {}).status_code == 405


def test_insufficient_funds_is_400_with_the_failed_charge(make_user, client_for):
    poor = make_user(balance="5.00")
    response = client_for(poor).post(URL, {"subscription_type": "STANDARD"})
    assert response.status_code == 400 and response.data["code"] == "insufficient_funds"
    assert response.data["transaction"]["status"] == "FAILED"
    assert not UserSubscription.objects.exists() and balance_of(poor) == Decimal("5.00")


def test_idempotency_key_subscribes_once(api, user):
    first = api.post(URL, {"subscription_type": "PREMIUM"}, HTTP_IDEMPOTENCY_KEY="sub-1")
    again = api.post(URL, {"subscription_type": "PREMIUM"}, HTTP_IDEMPOTENCY_KEY="sub-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert balance_of(user) == Decimal("80.01") and UserSubscription.objects.count() == 1
