"""The subscription page: tiers side by side, usage against the limits, upgrade and downgrade
through a review with the service's proration, confirm once, and refusals that write nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from comrade.commerce.models import UserSubscription
from comrade.commerce.tests.factories import subscription
from comrade.groups.services import group_create
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.web.tests.shop.ledger_state import ledger_state

pytestmark = pytest.mark.django_db
KEY = "6d1f2c8e-4a1b-4f5e-9a55-0a3e3c1f2b7d"


@pytest.fixture
def alice(make_user):
    return make_user(balance="50.00")


@pytest.fixture
def web(client, alice):
    client.force_login(alice)
    return client


def test_the_tiers_side_by_side_and_my_usage(web, alice):
    group_create(admin=alice, name="Chama", group_type="SAVINGS")
    page = web.get(reverse("subscription:detail")).content.decode()
    for name, price in (("Basic", "0.00"), ("Standard", "9.99"), ("Premium", "19.99"), ("Enterprise", "49.99")):
        assert name in page and f"USD {price}" in page
    assert "1 of 3 groups you run" in page
    assert "0 of 6 purchases" in page
    assert "1 of 3 members in your largest group" in page
    assert "Upgrade to Standard" in page


def test_the_upgrade_review_shows_the_prorated_charge_and_writes_nothing(web, alice):
    subscription(alice, "STANDARD", days_left=15)
    before = ledger_state()
    response = web.post(reverse("subscription:review"), {"subscription_type": "PREMIUM"})
    preview = response.context["preview"]
    assert preview.kind == "upgrade"
    assert Decimal("4.99") <= preview.charge <= Decimal("5.01")  # (19.99 - 9.99) x 15 of 30 days
    page = response.content.decode()
    assert f"USD {preview.charge:,.2f}" in page and f"USD {Decimal('50.00') - preview.charge:,.2f}" in page
    assert ledger_state() == before


def test_confirm_upgrades_once_and_the_limits_change(web, alice):
    key = web.post(reverse("subscription:review"), {"subscription_type": "STANDARD"}).context["form_key"]
    body = {"subscription_type": "STANDARD", "form_key": key}
    first = web.post(reverse("subscription:confirm"), body)
    second = web.post(reverse("subscription:confirm"), body)
    assert first.status_code == second.status_code == 302
    sub = UserSubscription.objects.get(user=alice, status="ACTIVE")
    assert sub.subscription_type == "STANDARD"
    charges = TransactionToken.objects.filter(sender=alice, transaction_type="SUBSCRIPTION")
    assert [(t.amount, t.status) for t in charges] == [(Decimal("9.99"), "COMPLETED")]
    assert balance_of(alice) == Decimal("40.01")
    page = web.get(reverse("subscription:detail")).content.decode()
    assert "Your plan: Standard" in page and "0 of 10 groups you run" in page


def test_a_downgrade_waits_for_the_renewal_and_warns_about_usage(web, alice):
    sub = subscription(alice, "STANDARD", days_left=10)
    for n in range(4):
        group_create(admin=alice, name=f"G{n}", group_type="SAVINGS")
    response = web.post(reverse("subscription:review"), {"subscription_type": "BASIC"})
    page = response.content.decode()
    assert response.context["preview"].charge == Decimal("0.00")
    assert "4 groups you run; Basic allows 3" in page
    web.post(reverse("subscription:confirm"), {"subscription_type": "BASIC", "form_key": response.context["form_key"]})
    sub.refresh_from_db()
    assert (sub.status, sub.next_subscription_type, sub.auto_renew) == ("ACTIVE", "BASIC", False)


@pytest.mark.parametrize("tier, message", [("GOLD", "valid choice"), ("", "required"), ("BASIC", "on BASIC already")])
@pytest.mark.parametrize("step", ["subscription:review", "subscription:confirm"])
def test_bad_choices_are_refused_and_nothing_is_written(web, tier, message, step):
    before = ledger_state()
    response = web.post(reverse(step), {"subscription_type": tier, "form_key": KEY})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ledger_state() == before


def test_the_same_tier_is_refused(web, alice):
    subscription(alice, "PREMIUM")
    before = ledger_state()
    response = web.post(reverse("subscription:review"), {"subscription_type": "PREMIUM"})
    assert "already on PREMIUM" in str(response.context["form"].errors["subscription_type"])
    assert ledger_state() == before


@pytest.mark.parametrize("step", ["subscription:review", "subscription:confirm"])
def test_insufficient_funds_is_refused_and_nothing_is_written(client, make_user, step):
    poor = make_user(balance="5.00")
    client.force_login(poor)
    before = ledger_state()
    response = client.post(reverse(step), {"subscription_type": "ENTERPRISE", "form_key": KEY})
    assert response.status_code == 200
    assert "Insufficient balance" in str(response.context["form"].errors["subscription_type"])
    assert ledger_state() == before


def test_an_upgrade_in_the_grace_period_is_charged_in_full(web, alice):
    subscription(alice, "STANDARD", days_left=-1)
    response = web.post(reverse("subscription:review"), {"subscription_type": "PREMIUM"})
    assert response.context["preview"].charge == Decimal("19.99")
    assert "full price" in response.content.decode()


def test_the_review_agrees_with_the_charge_taken(web, alice):
    subscription(alice, "STANDARD", days_left=20, start_date=timezone.now() - timedelta(days=10))
    response = web.post(reverse("subscription:review"), {"subscription_type": "ENTERPRISE"})
    shown = response.context["preview"].charge
    web.post(
        reverse("subscription:confirm"), {"subscription_type": "ENTERPRISE", "form_key": response.context["form_key"]}
    )
    charge = TransactionToken.objects.get(sender=alice, transaction_type="SUBSCRIPTION")
    assert abs(charge.amount - shown) <= Decimal("0.01")  # seconds pass between review and confirm


def test_pages_need_login(client):
    assert client.get(reverse("subscription:detail")).status_code == 302


def test_stop_renewing_goes_through_a_confirmation_page(web, alice):
    sub = subscription(alice, "PREMIUM", days_left=9)
    assert "Stop renewing" in web.get(reverse("subscription:detail")).content.decode()
    page = web.get(reverse("subscription:cancel")).content.decode()
    assert "You keep Premium until" in page and "Nothing is refunded" in page
    sub.refresh_from_db()
    assert sub.auto_renew is True
    web.post(reverse("subscription:cancel"))
    sub.refresh_from_db()
    assert (sub.status, sub.auto_renew) == ("ACTIVE", False)


def test_stop_renewing_without_a_subscription_is_a_message(web):
    before = ledger_state()
    response = web.post(reverse("subscription:cancel"), follow=True)
    assert response.status_code == 200 and "nothing to cancel" in response.content.decode()
    assert ledger_state() == before
