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
    # Reconciliation: the payment is "open" until the provider's final answer has been applied.
    resolved_at = models.DateTimeField(null=True, blank=True)
    provider_status = models.CharField(max_length=16, blank=True)
    check_count = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # Money the provider took (or gave back) that could not land where it was meant to goes to the
    # payer's wallet in this one linked transaction: unique, so it can happen only once.
    wallet_credit = models.OneToOneField(
        TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_for"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="uniq_external_provider_reference",
            )
        ]
        indexes = [
            models.Index(fields=["provider", "created_at"]),
            models.Index(fields=["next_check_at"], condition=Q(resolved_at__isnull=True), name="external_open"),
        ]

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_reference or self.transaction.token}"


class WebhookEvent(models.Model):
    """Every webhook received, kept with its verdict. Only verified events claim their event id,
    so a forged request can never block the real event with the same id."""

    class Verdict(models.TextChoices):
        REJECTED = "REJECTED"  # failed verification, or could not be applied as sent
        APPLIED = "APPLIED"  # moved money or a transaction on
        NOTED = "NOTED"  # verified news that is not final (a failed card attempt): recorded
        DUPLICATE = "DUPLICATE"  # this event id was already received
        IGNORED = "IGNORED"  # nothing to do, and no money in doubt (already applied, or not about money)
        PARKED = "PARKED"  # about a payment we cannot match yet; applied when its reference is known
        REVIEW = "REVIEW"  # money in doubt that needs a person (shown in the reconciliation view)
        RECEIVED = "RECEIVED"

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255, blank=True)
    verified = models.BooleanField(default=False)
    payload = models.JSONField(null=True, blank=True)
    raw_body = models.TextField(blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.RECEIVED)
    reason = models.CharField(max_length=255, blank=True)
    # The verified event as parsed, so a PARKED event can be applied later without the body.
    event = models.JSONField(null=True, blank=True)
    provider_reference = models.CharField(max_length=128, blank=True)
    transaction = models.ForeignKey(TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], condition=Q(verified=True), name="uniq_verified_webhook_event"
            )
        ]
        indexes = [
            models.Index(fields=["provider", "received_at"]),
            models.Index(
                fields=["provider", "provider_reference"], condition=Q(verdict="PARKED"), name="webhook_parked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.verdict}"


class ReconciliationCheck(models.Model):
    """One question to a provider about an open payment, and its answer, kept so that an operator
    can see why a payment is still open."""

    payment = models.ForeignKey(ExternalPayment, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(auto_now_add=True)
    provider_status = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=32)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["payment", "-id"])]


class SandboxObject(models.Model):
    """The sandbox provider's own records: what a real provider would keep on its side, so that
    the sandbox can answer status lookups and cancels, and never pays out twice for one reference."""

    class Kind(models.TextChoices):
        PAYMENT = "PAYMENT"
        PAYOUT = "PAYOUT"
        REFUND = "REFUND"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    reference = models.CharField(max_length=64)
    provider_reference = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=16)
    failure_code = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "reference"], name="uniq_sandbox_reference")]
