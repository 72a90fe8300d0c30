"""Subscription: the tiers side by side, my usage against my limits, and a change of plan
(review with the proration from `subscription_change_preview`, then `subscription_change` once).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from comrade import limits
from comrade.commerce import selectors
from comrade.commerce.services import subscriptions
from comrade.core.errors import ApplicationError
from comrade.ledger.models import TransactionToken
from comrade.web.once import add_error, new_key, submit_once
from comrade.web.subscription.forms import ChangeForm, ConfirmChangeForm


@dataclass(frozen=True)
class Meter:
    """One limit of the user's tier and how much of it is used ("3 of 5 groups")."""

    label: str
    used: int
    limit: int | None

    @property
    def full(self) -> bool:
        return self.limit is not None and self.used >= self.limit


def meters(tier: limits.Tier, usage: selectors.Usage) -> list[Meter]:
    return [
        Meter("groups you run", usage.groups_created, tier.max_groups_created),
        Meter("purchases in the last 30 days", usage.purchases_this_month, tier.max_purchases_per_month),
        Meter("members in your largest group", usage.largest_group_members, tier.max_group_members),
    ]


def _page(request, form=None, status=200):
    tier = limits.tier_of(request.user)
    usage = selectors.usage_of(request.user, now=timezone.now())
    context = {
        "tiers": list(limits.tiers().values()),
        "tier": tier,
        "current": selectors.active_subscription(request.user),
        "meters": meters(tier, usage),
        "form": form,
    }
    return render(request, "web/subscription/detail.html", context, status=status)


@login_required
def subscription_detail(request):
    return _page(request)


@login_required
@require_POST
def subscription_review(request):
    form = ChangeForm(request.POST)
    preview = _preview(request, form)
    if preview is None:
        return _page(request, form)
    usage = selectors.usage_of(request.user, now=timezone.now())
    context = {
        "preview": preview,
        "form_key": new_key(),
        "now_tier": limits.tier_of(request.user),
        "over": [m for m in meters(preview.plan, usage) if m.limit is not None and m.used > m.limit],
    }
    return render(request, "web/subscription/review.html", context)


@login_required
@require_POST
def subscription_confirm(request):
    form = ConfirmChangeForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    tier = form.cleaned_data["subscription_type"]

    def change() -> str:
        """Checked again first (a refusal writes nothing); a repeat of the same confirmation
        never gets here: it replays the first answer."""
        subscriptions.subscription_change_preview(user=request.user, tier=tier)
        done = subscriptions.subscription_change(user=request.user, tier=tier)
        txn = done.transaction
        if txn is not None and txn.status == TransactionToken.Status.FAILED:
            raise ApplicationError(
                "insufficient_funds", txn.failure_reason, fields={"subscription_type": [txn.failure_reason]}
            )
        messages.success(request, _done_message(done, tier))
        return reverse("subscription:detail")

    try:
        url = submit_once(request, key=form.cleaned_data["form_key"], data={"subscription_type": tier}, work=change)
    except ApplicationError as error:
        add_error(form, error)
        return _page(request, form)
    return redirect(url)


def _done_message(done, tier: str) -> str:
    sub = done.subscription
    if sub is not None and sub.subscription_type == tier and sub.next_subscription_type == "":
        return f"You are on the {tier.capitalize()} plan."
    return f"Your plan changes to {tier.capitalize()} on {sub.end_date:%d %b %Y}."


def _preview(request, form):
    if not form.is_valid():
        return None
    try:
        return subscriptions.subscription_change_preview(user=request.user, tier=form.cleaned_data["subscription_type"])
    except ApplicationError as error:
        error.fields = error.fields or {"subscription_type": [error.message]}
        add_error(form, error)
        return None


@login_required
def subscription_cancel(request):
    """GET: the confirmation page stating what stopping the renewal does. POST: auto-renew off
    (the service's `subscription_cancel`); the plan stays until its end date."""
    current = selectors.active_subscription(request.user)
    if current is None:
        messages.error(request, "You are on the free Basic plan; there is nothing to cancel.")
        return redirect("subscription:detail")
    if request.method != "POST":
        return render(request, "web/subscription/cancel.html", {"current": current})
    try:
        subscriptions.subscription_cancel(subscription=current)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Your plan will not renew; it ends on {current.end_date:%d %b %Y}.")
    return redirect("subscription:detail")
