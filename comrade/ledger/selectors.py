from django.db.models import Q, QuerySet

from comrade.ledger.models import PaymentProfile, TransactionToken


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
