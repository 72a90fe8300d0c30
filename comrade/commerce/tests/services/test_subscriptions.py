"""Subscribe, upgrade, downgrade, cancel, renew and expire, with the clock passed in as `now`."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from comrade.commerce.models import UserSubscription
from comrade.commerce.services.subscriptions import (
    prorated_upgrade_charge,
    subscription_cancel,
    subscription_change,
    subscriptions_renew,
)
from comrade.core import jobs
from comrade.core.errors import ApplicationError
from comrade.ledger.checks import run_all
from comrade.ledger.selectors import balance_of, revenue_total
from comrade.ledger.services import wallet_fund
from comrade.limits import tier_of, tiers

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
T0 = timezone.now().replace(microsecond=0)


def revenue() -> Decimal:
    return revenue_total("subscriptions")


def active(user) -> UserSubscription:
    return UserSubscription.objects.get(user=user, status="ACTIVE")


def test_subscribing_charges_the_full_price_for_one_period(user):
    change = subscription_change(user=user, tier="PREMIUM", now=T0)
    sub = change.subscription
    assert change.created and change.transaction.status == "COMPLETED"
    assert change.transaction.transaction_type == "SUBSCRIPTION" and change.transaction.amount == Decimal("19.99")
    assert (sub.subscription_type, sub.status, sub.auto_renew) == ("PREMIUM", "ACTIVE", True)
    assert sub.start_date == T0 and sub.end_date == T0 + 30 * DAY and sub.price == Decimal("19.99")
    assert balance_of(user) == Decimal("80.01") and revenue() == Decimal("19.99")
    assert tier_of(user).name == "PREMIUM"
    assert run_all() == []


def test_subscribing_without_funds_writes_a_failed_charge_and_no_subscription(make_user):
    poor = make_user(balance="49.98")
    change = subscription_change(user=poor, tier="ENTERPRISE", now=T0)
    assert change.subscription is None and change.transaction.status == "FAILED"
    assert not UserSubscription.objects.exists() and balance_of(poor) == Decimal("49.98")
    assert tier_of(poor).name == "BASIC"


def test_basic_is_free_and_is_what_a_user_without_a_subscription_has(user):
    assert tier_of(user).name == "BASIC"
    with pytest.raises(ApplicationError) as exc:
        subscription_change(user=user, tier="BASIC", now=T0)
    assert exc.value.code == "already_on_tier"
    with pytest.raises(ApplicationError) as exc:
        subscription_change(user=user, tier="GOLD", now=T0)
    assert exc.value.code == "invalid_choice"
    assert not UserSubscription.objects.exists()


def test_the_same_tier_twice_is_refused_but_resumes_a_cancelled_one(user):
    sub = subscription_change(user=user, tier="STANDARD", now=T0).subscription
    with pytest.raises(ApplicationError) as exc:
        subscription_change(user=user, tier="STANDARD", now=T0)
    assert exc.value.code == "already_subscribed"
    subscription_cancel(subscription=sub)
    resumed = subscription_change(user=user, tier="STANDARD", now=T0)
    assert resumed.transaction is None and not resumed.created and active(user).auto_renew
    assert balance_of(user) == Decimal("90.01")


def test_upgrade_charges_the_difference_pro_rata_and_keeps_the_end_date(user):
    subscription_change(user=user, tier="STANDARD", now=T0)  # 9.99
    halfway = T0 + 15 * DAY
    change = subscription_change(user=user, tier="PREMIUM", now=halfway)
    # (19.99 - 9.99) x 15/30 = 5.00
    assert change.transaction.amount == Decimal("5.00") and change.created
    new, old = change.subscription, UserSubscription.objects.get(subscription_type="STANDARD")
    assert (new.subscription_type, new.start_date, new.end_date) == ("PREMIUM", halfway, T0 + 30 * DAY)
    assert (old.status, old.end_date) == ("CANCELLED", halfway)
    assert balance_of(user) == Decimal("85.01") and revenue() == Decimal("14.99")
    assert tier_of(user).name == "PREMIUM"


def test_proration_rounds_half_up_to_the_cent(user):
    sub = subscription_change(user=user, tier="STANDARD", now=T0).subscription
    plan = tiers()["ENTERPRISE"]
    # (49.99 - 9.99) x 1/3 = 13.333.. -> 13.33 ; x 2/3 = 26.666.. -> 26.67
    assert prorated_upgrade_charge(sub, plan, now=T0 + 20 * DAY) == Decimal("13.33")
    assert prorated_upgrade_charge(sub, plan, now=T0 + 10 * DAY) == Decimal("26.67")
    assert prorated_upgrade_charge(sub, plan, now=T0 + 31 * DAY) == Decimal("49.99")


def test_an_upgrade_that_cannot_be_paid_changes_nothing(make_user):
    user = make_user(balance="10.00")
    subscription_change(user=user, tier="STANDARD", now=T0)
    change = subscription_change(user=user, tier="ENTERPRISE", now=T0 + DAY)
    assert change.transaction.status == "FAILED" and not change.created
    assert active(user).subscription_type == "STANDARD" and UserSubscription.objects.count() == 1
    assert balance_of(user) == Decimal("0.01")


def test_downgrade_waits_for_the_renewal_and_refunds_nothing(user):
    subscription_change(user=user, tier="PREMIUM", now=T0)
    change = subscription_change(user=user, tier="STANDARD", now=T0 + DAY)
    assert change.transaction is None and not change.created
    sub = active(user)
    assert (sub.subscription_type, sub.next_subscription_type, sub.auto_renew) == ("PREMIUM", "STANDARD", True)
    assert tier_of(user).name == "PREMIUM" and balance_of(user) == Decimal("80.01")

    assert subscriptions_renew(T0 + 30 * DAY) == 1
    new = active(user)
    assert (new.subscription_type, new.start_date, new.end_date) == ("STANDARD", T0 + 30 * DAY, T0 + 60 * DAY)
    assert UserSubscription.objects.get(subscription_type="PREMIUM").status == "EXPIRED"
    assert balance_of(user) == Decimal("70.02") and tier_of(user).name == "STANDARD"
    assert run_all() == []


def test_downgrade_to_basic_lets_the_paid_tier_run_out(user):
    subscription_change(user=user, tier="PREMIUM", now=T0)
    subscription_change(user=user, tier="BASIC", now=T0 + DAY)
    assert active(user).auto_renew is False and active(user).next_subscription_type == "BASIC"
    assert subscriptions_renew(T0 + 30 * DAY) == 1
    assert not UserSubscription.objects.filter(status="ACTIVE").exists()
    assert tier_of(user).name == "BASIC" and balance_of(user) == Decimal("80.01")


def test_cancel_keeps_the_tier_until_the_end_date_then_expires(user):
    sub = subscription_change(user=user, tier="PREMIUM", now=T0).subscription
    subscription_cancel(subscription=sub)
    assert active(user).auto_renew is False
    assert subscriptions_renew(T0 + 30 * DAY - timedelta(seconds=1)) == 0
    assert tier_of(user).name == "PREMIUM"
    assert subscriptions_renew(T0 + 30 * DAY) == 1
    sub.refresh_from_db()
    assert sub.status == "EXPIRED" and tier_of(user).name == "BASIC"
    assert balance_of(user) == Decimal("80.01")
    with pytest.raises(ApplicationError) as exc:
        subscription_cancel(subscription=sub)
    assert exc.value.code == "not_cancellable"


def test_renewal_charges_the_next_period_at_the_end_date(user):
    sub = subscription_change(user=user, tier="STANDARD", now=T0).subscription
    assert subscriptions_renew(T0 + 29 * DAY) == 0
    assert subscriptions_renew(T0 + 30 * DAY) == 1
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and sub.end_date == T0 + 60 * DAY
    assert sub.last_transaction.status == "COMPLETED" and sub.last_transaction.amount == Decimal("9.99")
    assert balance_of(user) == Decimal("80.02") and revenue() == Decimal("19.98")
    assert subscriptions_renew(T0 + 31 * DAY) == 0  # nothing due twice
    assert mail.outbox == []


def test_unpaid_renewal_has_a_grace_period_with_retries_then_expires_with_an_email(make_user, settings):
    settings.SUBSCRIPTION_GRACE_DAYS, settings.SUBSCRIPTION_RETRY_HOURS = 3, 24
    user = make_user(balance="9.99")
    sub = subscription_change(user=user, tier="STANDARD", now=T0).subscription
    end = T0 + 30 * DAY

    assert subscriptions_renew(end) == 1
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and sub.grace_until == end + 3 * DAY and sub.next_attempt_at == end + DAY
    assert sub.last_transaction.status == "FAILED" and tier_of(user).name == "STANDARD"
    assert len(mail.outbox) == 1 and "could not be renewed" in mail.outbox[0].subject
    assert mail.outbox[0].to == [user.email]

    assert subscriptions_renew(end + 12 * timedelta(hours=1)) == 0  # not before the next attempt
    assert subscriptions_renew(end + DAY) == 1  # retry fails quietly
    assert subscriptions_renew(end + 2 * DAY) == 1
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and len(mail.outbox) == 1
    assert subscriptions_renew(end + 3 * DAY) == 1  # last attempt at the end of the grace period
    sub.refresh_from_db()
    assert sub.status == "EXPIRED" and tier_of(user).name == "BASIC"
    assert len(mail.outbox) == 2 and "expired" in mail.outbox[1].subject
    assert balance_of(user) == 0 and revenue() == Decimal("9.99")
    assert sub.last_transaction.status == "FAILED"
    assert run_all() == []


def test_a_renewal_paid_during_the_grace_period_keeps_the_cadence(make_user):
    user = make_user(balance="9.99")
    sub = subscription_change(user=user, tier="STANDARD", now=T0).subscription
    end = T0 + 30 * DAY
    subscriptions_renew(end)
    wallet_fund(user=user, amount=Decimal("20.00"))
    assert subscriptions_renew(end + DAY) == 1
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and sub.end_date == end + 30 * DAY
    assert sub.grace_until is None and sub.next_attempt_at is None
    assert balance_of(user) == Decimal("10.01")
    assert run_all() == []


def test_upgrading_during_the_grace_period_starts_a_fresh_period_at_full_price(make_user):
    user = make_user(balance="9.99")
    subscription_change(user=user, tier="STANDARD", now=T0)
    end = T0 + 30 * DAY
    subscriptions_renew(end)
    wallet_fund(user=user, amount=Decimal("19.99"))
    change = subscription_change(user=user, tier="PREMIUM", now=end + DAY)
    assert change.transaction.amount == Decimal("19.99")
    assert change.subscription.end_date == end + 31 * DAY
    assert UserSubscription.objects.filter(status="ACTIVE").count() == 1


def test_the_renewal_job_is_registered():
    assert jobs.get("renew_subscriptions").run is subscriptions_renew


def test_one_active_subscription_per_user_is_a_database_rule(user):
    from django.db import IntegrityError, transaction

    subscription_change(user=user, tier="STANDARD", now=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserSubscription.objects.create(
            user=user, subscription_type="PREMIUM", start_date=T0, end_date=T0 + DAY, price=Decimal("19.99")
        )
