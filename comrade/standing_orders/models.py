"""Standing orders: a user's recurring payment to another user or to a payment group they belong to.

Each (order, scheduled date) is executed at most once: the unique constraint on
StandingOrderExecution is what makes two schedulers, or a crash and a restart, unable to pay a
period twice. `next_scheduled_for` is the period the next run pays and `next_execution` the moment
it runs (the period's 00:00 UTC, or a retry time); both are NULL exactly when the order is not
active.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from comrade.core.money import money_model_field
from comrade.ledger.models import TransactionToken

# The terms and the state of an order; the scheduler's bookkeeping (next_*, last_executed) is left
# out, since StandingOrderExecution already records every run.
HISTORY_FIELDS = [
    "user",
    "recipient",
    "group",
    "amount",
    "frequency",
    "payment_method",
    "description",
    "start_date",
    "end_date",
    "status",
    "status_reason",
    "is_active",
]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=HISTORY_FIELDS,
    model_name="StandingOrderEvent",
    append_only=True,
)
class StandingOrder(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "DAILY"
        WEEKLY = "WEEKLY"
        MONTHLY = "MONTHLY"
        YEARLY = "YEARLY"

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        PAUSED = "PAUSED"  # by the owner; resumable
        SUSPENDED = "SUSPENDED"  # the payee can no longer be paid (see status_reason); resumable
        COMPLETED = "COMPLETED"  # every period up to end_date was handled
        CANCELLED = "CANCELLED"  # by the owner (DELETE); final

    PaymentMethod = TransactionToken.PaymentMethod

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="standing_orders")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_standing_orders",
    )
    group = models.ForeignKey(
        "groups.PaymentGroups", on_delete=models.PROTECT, null=True, blank=True, related_name="standing_orders"
    )
    amount = money_model_field(default=None)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.INTERNAL)
    description = models.CharField(max_length=255, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    next_scheduled_for = models.DateField(null=True, blank=True)
    next_execution = models.DateTimeField(null=True, blank=True)
    last_executed = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="standing_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False, group__isnull=True)
                | Q(recipient__isnull=True, group__isnull=False),
                name="standing_order_one_payee",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="standing_order_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, status="ACTIVE") | (Q(is_active=False) & ~Q(status="ACTIVE")),
                name="standing_order_is_active_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(next_execution__isnull=False, next_scheduled_for__isnull=False),
                name="standing_order_active_has_next_execution",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active"]),
            models.Index(fields=["next_execution"]),
            # the schedulers' claim order (due first, then id): read straight off the index, where
            # (is_active, next_execution) alone made every claim sort all the orders due at once
            models.Index(fields=["is_active", "next_execution", "id"], name="standing_order_claim"),
        ]

    def __str__(self) -> str:
        return f"Standing order #{self.pk} ({self.frequency} {self.amount})"


class StandingOrderExecution(models.Model):
    """One period of an order: paid (SUCCEEDED), failed (FAILED: being retried, or final when the
    order was suspended) or given up (SKIPPED: out of retries, missed under the 'latest' catch-up
    policy, or abandoned when the order was paused, changed or cancelled during its retries)."""

    class Status(models.TextChoices):
        SUCCEEDED = "SUCCEEDED"
        FAILED = "FAILED"
        SKIPPED = "SKIPPED"

    order = models.ForeignKey(StandingOrder, on_delete=models.PROTECT, related_name="executions")
    scheduled_for = models.DateField()
    executed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    transaction = models.ForeignKey(
        TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="standing_order_executions"
    )
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "scheduled_for"], name="uniq_standing_order_period"),
            models.CheckConstraint(
                condition=~Q(status="SUCCEEDED") | Q(transaction__isnull=False),
                name="standing_order_success_has_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.scheduled_for} {self.status}"
