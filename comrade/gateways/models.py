from django.db import models
from django.db.models import Q

from comrade.ledger.models import LedgerAccount, TransactionToken


class ExternalPayment(models.Model):
    """The provider side of an EXTERNAL transaction: which provider, its reference, where the
    money lands (IN) or comes from (OUT), and the checkout link the customer follows."""

    class Direction(models.TextChoices):
        IN = "IN"  # deposit, external purchase or contribution: clearing -> account
        OUT = "OUT"  # withdrawal or refund: account -> holding -> clearing

    transaction = models.OneToOneField(TransactionToken, on_delete=models.PROTECT, related_name="external")
    provider = models.CharField(max_length=32)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    provider_reference = models.CharField(max_length=128, blank=True)
    redirect_url = models.URLField(max_length=500, blank=True)
    destination = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="uniq_external_provider_reference",
            )
        ]
        indexes = [models.Index(fields=["provider", "created_at"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_reference or self.transaction.token}"


class WebhookEvent(models.Model):
    """Every webhook received, kept with its verdict. Only verified events claim their event id,
    so a forged request can never block the real event with the same id."""

    class Verdict(models.TextChoices):
        REJECTED = "REJECTED"
        APPLIED = "APPLIED"
        DUPLICATE = "DUPLICATE"
        IGNORED = "IGNORED"
        RECEIVED = "RECEIVED"

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255, blank=True)
    verified = models.BooleanField(default=False)
    payload = models.JSONField(null=True, blank=True)
    raw_body = models.TextField(blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.RECEIVED)
    reason = models.CharField(max_length=255, blank=True)
    transaction = models.ForeignKey(TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], condition=Q(verified=True), name="uniq_verified_webhook_event"
            )
        ]
        indexes = [models.Index(fields=["provider", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.verdict}"
