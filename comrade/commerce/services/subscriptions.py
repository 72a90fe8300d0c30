"""Subscriptions to a tier, paid from the wallet into subscription revenue (the shard of the
payer's wallet, `ledger.services.revenue_account`: `revenue:subscriptions` or `revenue:subscriptions:<k>`).

Rules (settings.SUBSCRIPTION_TIERS holds the prices, SUBSCRIPTION_PERIOD_DAYS the period):
- New subscription to a paid tier: the full price now, a period from now. BASIC is free and is
  what a user without a subscription is on, so it cannot be "subscribed to" on its own.
- Upgrade (a dearer tier): effective at once, same end date; the charge is the price difference
  pro rata to the time left: (new - old) x seconds left / seconds in a period, rounded half-up
  to the cent. The old row ends now as CANCELLED and a new ACTIVE row starts.
- Downgrade (a cheaper paid tier): takes effect at the next renewal, no refund. Downgrade to
  BASIC: auto-renew goes off and the paid tier runs to its end date.
- Cancel: auto-renew off; the subscription stays ACTIVE until its end date, then EXPIRED.
- Renewal (job `renew_subscriptions`): at the end date an auto-renewing subscription is charged
  for the next period. If the wallet cannot pay it stays ACTIVE for SUBSCRIPTION_GRACE_DAYS,
  retried every SUBSCRIPTION_RETRY_HOURS; when the grace period is over unpaid it is EXPIRED and
  the user is emailed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from comrade import limits
from comrade.commerce.models import UserSubscription
from comrade.commerce.selectors import active_subscription, subscriptions_due
from comrade.core.errors import ApplicationError, field_error
from comrade.core.money import CENT
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import Leg, lock_accounts, revenue_account, settle, transaction_open, wallet_account_id

logger = logging.getLogger(__name__)
Status = UserSubscription.Status
RENEWAL_BATCH = 500


@dataclass(frozen=True)
class SubscriptionChange:
    subscription: UserSubscription | None  # None when a new subscription could not be paid
    transaction: TransactionToken | None  # the charge, when there was one (COMPLETED or FAILED)
    created: bool


SUBSCRIPTIONS = "subscriptions"


def subscriptions_account(*, payer_account_id: int) -> LedgerAccount:
    """The subscription revenue shard that this wallet pays into."""
    return revenue_account(SUBSCRIPTIONS, payer_account_id=payer_account_id)


def period() -> timedelta:
    return timedelta(days=settings.SUBSCRIPTION_PERIOD_DAYS)


def plan_for(name: str) -> limits.Tier:
    plan = limits.tiers().get(name)
    if plan is None:
        raise field_error("subscription_type", f"Unknown subscription type {name!r}.", code="invalid_choice")
    return plan


def subscription_change(*, user, tier: str, auto_renew: bool = True, now: datetime | None = None) -> SubscriptionChange:
    """Subscribe, upgrade or downgrade (see the module's rules)."""
    now = now or timezone.now()
    plan = plan_for(tier)
    with transaction.atomic():
        _lock_money(user)
        current = UserSubscription.objects.select_for_update().filter(user=user, status=Status.ACTIVE).first()
        kind = change_kind(current, plan)
        if kind == NEW:
            return _subscribe(user, plan, auto_renew=auto_renew, now=now)
        if kind == SAME:
            return _keep(current, auto_renew=auto_renew)
        if kind == UPGRADE:
            return _upgrade(current, plan, auto_renew=auto_renew, now=now)
        return _downgrade(current, plan)


NEW, SAME, UPGRADE, DOWNGRADE = "new", "same", "upgrade", "downgrade"


def change_kind(current: UserSubscription | None, plan: limits.Tier) -> str:
    """Which of the module's rules a change to `plan` follows."""
    if current is None:
        return NEW
    if plan.name == current.subscription_type:
        return SAME
    return UPGRADE if plan.price > current.price else DOWNGRADE


@dataclass(frozen=True)
class ChangePreview:
    """What `subscription_change` to `plan` would do now: the kind of change, the charge taken
    now (zero for a downgrade, which waits for the renewal), when the new tier applies, and the
    balance after the charge."""

    plan: limits.Tier
    current: UserSubscription | None
    kind: str
    charge: Decimal
    effective: datetime
    balance: Decimal

    @property
    def balance_after(self) -> Decimal:
        return self.balance - self.charge


def subscription_change_preview(
    *, user, tier: str, auto_renew: bool = True, now: datetime | None = None
) -> ChangePreview:
    """The charge and the effect of changing to `tier`, by the rules and the proration that
    `subscription_change` applies, writing nothing (for a review page). Raises what the change
    raises for the same tier (unless it resumes auto-renew or drops a scheduled downgrade) or BASIC
    alone, and insufficient_funds when the wallet cannot pay."""
    now = now or timezone.now()
    plan = plan_for(tier)
    current = active_subscription(user)
    kind = change_kind(current, plan)
    charge, effective = plan.price, now
    if kind == NEW and plan.name == limits.DEFAULT_TIER and plan.price == 0:
        raise ApplicationError("already_on_tier", f"Without a subscription you are on {plan.name} already.")
    if kind == SAME and current.auto_renew == auto_renew and not current.next_subscription_type:
        raise field_error("subscription_type", f"You are already on {current.subscription_type}.", "already_subscribed")
    if kind == UPGRADE:
        charge = prorated_upgrade_charge(current, plan, now=now)
    if kind in (SAME, DOWNGRADE):
        charge = Decimal("0.00")
    if kind == DOWNGRADE:
        effective = current.end_date
    balance = balance_of(user)
    if charge > balance:
        raise field_error(
            "subscription_type", f"Insufficient balance: {balance} available, {charge} needed.", "insufficient_funds"
        )
    return ChangePreview(plan=plan, current=current, kind=kind, charge=charge, effective=effective, balance=balance)


def subscription_cancel(*, subscription: UserSubscription) -> UserSubscription:
    with transaction.atomic():
        sub = UserSubscription.objects.select_for_update().get(pk=subscription.pk)
        if sub.status != Status.ACTIVE:
            raise ApplicationError(
                "not_cancellable", f"Only ACTIVE subscriptions can be cancelled; this one is {sub.status}."
            )
        sub.auto_renew = False
        sub.next_subscription_type = ""
        sub.save(update_fields=["auto_renew", "next_subscription_type", "updated_at"])
        return sub


def prorated_upgrade_charge(current: UserSubscription, plan: limits.Tier, *, now: datetime) -> Decimal:
    """What an upgrade costs now; a subscription already past its end date (in its grace period)
    starts a fresh period at the full new price."""
    if current.end_date <= now:
        return plan.price
    left = Decimal((current.end_date - now) // timedelta(seconds=1))
    whole = Decimal(period() // timedelta(seconds=1))
    fraction = min(left / whole, Decimal(1))
    return ((plan.price - current.price) * fraction).quantize(CENT, rounding=ROUND_HALF_UP)


def _lock_money(user) -> None:
    """The wallet and its revenue shard are the per-user lock: taken first, in pk order, by every
    subscription write (including the renewal job), so they cannot deadlock on each other. The
    wallet's row is what serialises one user's changes; the shard is shared with other wallets."""
    wallet = wallet_account_id(user)
    lock_accounts([wallet, subscriptions_account(payer_account_id=wallet).pk])


def _charge(user, amount: Decimal, *, plan: limits.Tier, kind: str) -> TransactionToken:
    txn = transaction_open(
        sender=user,
        amount=amount,
        transaction_type=TransactionToken.Type.SUBSCRIPTION,
        payment_method=TransactionToken.PaymentMethod.INTERNAL,
        description=f"{plan.name} subscription ({kind})",
        metadata={"subscription_type": plan.name, "kind": kind},
    )
    wallet = wallet_account_id(user)
    return settle(txn, [Leg(wallet, -amount), Leg(subscriptions_account(payer_account_id=wallet).pk, amount)])


def _paid(txn: TransactionToken | None) -> bool:
    return txn is None or txn.status == TransactionToken.Status.COMPLETED


def _subscribe(user, plan: limits.Tier, *, auto_renew: bool, now: datetime) -> SubscriptionChange:
    if plan.name == limits.DEFAULT_TIER and plan.price == 0:
        raise ApplicationError("already_on_tier", f"Without a subscription you are on {plan.name} already.")
    txn = _charge(user, plan.price, plan=plan, kind="new") if plan.price > 0 else None
    if not _paid(txn):
        return SubscriptionChange(subscription=None, transaction=txn, created=False)
    sub = _open_row(user, plan, start=now, end=now + period(), auto_renew=auto_renew, txn=txn)
    return SubscriptionChange(subscription=sub, transaction=txn, created=True)


def _keep(current: UserSubscription, *, auto_renew: bool) -> SubscriptionChange:
    """The same tier again: resumes auto-renew or drops a scheduled downgrade."""
    if current.auto_renew == auto_renew and not current.next_subscription_type:
        raise ApplicationError("already_subscribed", f"You are already on {current.subscription_type}.")
    current.auto_renew = auto_renew
    current.next_subscription_type = ""
    current.save(update_fields=["auto_renew", "next_subscription_type", "updated_at"])
    return SubscriptionChange(subscription=current, transaction=None, created=False)


def _upgrade(current: UserSubscription, plan: limits.Tier, *, auto_renew: bool, now: datetime) -> SubscriptionChange:
    amount = prorated_upgrade_charge(current, plan, now=now)
    txn = _charge(current.user, amount, plan=plan, kind="upgrade") if amount > 0 else None
    if not _paid(txn):
        return SubscriptionChange(subscription=current, transaction=txn, created=False)
    end = current.end_date if current.end_date > now else now + period()
    current.status, current.end_date = Status.CANCELLED, max(now, current.start_date)
    current.save(update_fields=["status", "end_date", "updated_at"])
    sub = _open_row(current.user, plan, start=now, end=end, auto_renew=auto_renew, txn=txn)
    return SubscriptionChange(subscription=sub, transaction=txn, created=True)


def _downgrade(current: UserSubscription, plan: limits.Tier) -> SubscriptionChange:
    current.next_subscription_type = plan.name
    current.auto_renew = plan.price > 0
    current.save(update_fields=["next_subscription_type", "auto_renew", "updated_at"])
    return SubscriptionChange(subscription=current, transaction=None, created=False)


def _open_row(user, plan: limits.Tier, *, start, end, auto_renew: bool, txn) -> UserSubscription:
    return UserSubscription.objects.create(
        user=user,
        subscription_type=plan.name,
        status=Status.ACTIVE,
        start_date=start,
        end_date=end,
        auto_renew=auto_renew,
        price=plan.price,
        last_transaction=txn,
    )


# --- renewal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Renewal:
    subscription: UserSubscription
    outcome: str  # renewed, expired, payment_failed, expired_unpaid


def subscriptions_renew(now: datetime) -> int:
    """Job: renew, retry or expire every subscription whose period has ended. Returns how many
    it handled. Emails go out after each subscription's database transaction commits."""
    handled = 0
    for pk in list(subscriptions_due(now).values_list("pk", flat=True)[:RENEWAL_BATCH]):
        renewal = _renew_one(pk, now)
        if renewal is not None:
            handled += 1
            _notify(renewal)
    return handled


def _renew_one(pk: int, now: datetime) -> Renewal | None:
    user_id = UserSubscription.objects.values_list("user_id", flat=True).get(pk=pk)
    with transaction.atomic():
        _lock_money(user_id)
        sub = (
            UserSubscription.objects.select_for_update().filter(pk=pk, status=Status.ACTIVE, end_date__lte=now).first()
        )
        if sub is None:
            return None
        if not sub.auto_renew:
            return _expire(sub, "expired")
        plan = plan_for(sub.next_subscription_type or sub.subscription_type)
        txn = _charge(sub.user, plan.price, plan=plan, kind="renewal") if plan.price > 0 else None
        if _paid(txn):
            return _renewed(sub, plan, txn)
        return _unpaid(sub, txn, now=now)


def _expire(sub: UserSubscription, outcome: str) -> Renewal:
    sub.status = Status.EXPIRED
    sub.next_attempt_at = None
    sub.save(update_fields=["status", "next_attempt_at", "updated_at"])
    return Renewal(subscription=sub, outcome=outcome)


def _renewed(sub: UserSubscription, plan: limits.Tier, txn) -> Renewal:
    """The next period follows on from the end date, also when it was paid late in the grace
    period. A scheduled downgrade becomes a new row for the cheaper tier."""
    start, end = sub.end_date, sub.end_date + period()
    if plan.name != sub.subscription_type:
        _expire(sub, "expired")
        new = _open_row(sub.user, plan, start=start, end=end, auto_renew=True, txn=txn)
        return Renewal(subscription=new, outcome="renewed")
    sub.end_date, sub.price, sub.last_transaction = end, plan.price, txn
    sub.grace_until = sub.next_attempt_at = None
    sub.save(update_fields=["end_date", "price", "last_transaction", "grace_until", "next_attempt_at", "updated_at"])
    return Renewal(subscription=sub, outcome="renewed")


def _unpaid(sub: UserSubscription, txn: TransactionToken, *, now: datetime) -> Renewal:
    first_failure = sub.grace_until is None
    grace_until = sub.grace_until or sub.end_date + timedelta(days=settings.SUBSCRIPTION_GRACE_DAYS)
    sub.last_transaction, sub.grace_until = txn, grace_until
    if now >= grace_until:
        sub.save(update_fields=["last_transaction", "grace_until", "updated_at"])
        return _expire(sub, "expired_unpaid")
    sub.next_attempt_at = min(now + timedelta(hours=settings.SUBSCRIPTION_RETRY_HOURS), grace_until)
    sub.save(update_fields=["last_transaction", "grace_until", "next_attempt_at", "updated_at"])
    return Renewal(subscription=sub, outcome="payment_failed" if first_failure else "retry_failed")


EMAILS = {
    "payment_failed": (
        "Your {tier} subscription could not be renewed",
        "We could not charge {price} for your {tier} subscription: your Comrade balance is too low. "
        "We will try again until {grace_until:%Y-%m-%d %H:%M} UTC; top up your wallet to keep it.",
    ),
    "expired_unpaid": (
        "Your {tier} subscription has expired",
        "Your {tier} subscription expired because its renewal ({price}) could not be paid during the "
        "grace period. You are now on the BASIC tier; subscribe again at any time.",
    ),
}


def _notify(renewal: Renewal) -> None:
    template = EMAILS.get(renewal.outcome)
    if template is None:
        return
    sub = renewal.subscription
    tier = sub.next_subscription_type or sub.subscription_type
    fields = {"tier": tier, "price": plan_for(tier).price, "grace_until": sub.grace_until}
    try:
        send_mail(template[0].format(**fields), template[1].format(**fields), None, [sub.user.email])
    except Exception:  # noqa: BLE001 - a mail server problem must not stop the renewal job
        logger.exception("could not email %s about subscription %s", sub.user.email, sub.pk)
