from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from comrade.ledger.models import LedgerAccount, PaymentProfile, TransactionToken


def profile_for(user) -> PaymentProfile:
    return PaymentProfile.objects.select_related("user", "account").get(user=user)


def profiles_visible_to(user) -> QuerySet[PaymentProfile]:
    profiles = PaymentProfile.objects.select_related("user", "account").order_by("id")
    return profiles if user.is_staff else profiles.filter(user=user)


def transactions_of(user) -> QuerySet[TransactionToken]:
    """Transactions where the user is sender or receiver, newest first."""
    return (
        TransactionToken.objects.filter(Q(sender=user) | Q(receiver=user))
        .select_related("external")
        .prefetch_related("status_changes")
        .order_by("-id")
    )


def balance_of(user):
    return PaymentProfile.objects.values_list("account__balance", flat=True).get(user=user)


def revenue_accounts(stream: str) -> QuerySet[LedgerAccount]:
    """Every shard of a revenue stream ("sales", "subscriptions"): `revenue:<stream>` and
    `revenue:<stream>:<k>`, whatever LEDGER_REVENUE_SHARDS is now (money stays where it was paid)."""
    code = f"revenue:{stream}"
    return LedgerAccount.objects.filter(Q(code=code) | Q(code__startswith=f"{code}:"), kind=LedgerAccount.Kind.REVENUE)


def revenue_total(stream: str) -> Decimal:
    """A revenue stream's balance: the sum of its shards (what one `revenue:<stream>` held before)."""
    total = revenue_accounts(stream).aggregate(total=Sum("balance"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))
