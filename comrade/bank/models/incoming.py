"""Imported bank statements, their entries and the exceptions queue (incoming side).

The invariant: a bank entry is stored once per account (unique account IBAN + entry reference),
and only the import that stored it acts on it, so importing a statement twice, or overlapping
statements, credits each entry once. A credited entry points at its deposit through a unique
one-to-one column, and so does an exception assigned to a user."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from comrade.core.money import money_model_field
from comrade.ledger.models import TransactionToken

__all__ = ["BankStatement", "BankEntry", "BankException"]


class BankStatement(models.Model):
    """One import of a statement file (or of a Statement built in code, such as the fake bank's):
    who imported it, from where, and what it did."""

    message_id = models.CharField(max_length=140)
    kind = models.CharField(max_length=16)  # camt.053, camt.054, mt940
    account_iban = models.CharField(max_length=34)
    source = models.CharField(max_length=32)  # upload, api, inbox, fakebank, ...
    filename = models.CharField(max_length=255, blank=True)
    digest = models.CharField(max_length=64, blank=True)  # SHA-256 of the file
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    entries_created = models.PositiveIntegerField(default=0)
    entries_duplicate = models.PositiveIntegerField(default=0)
    credited = models.PositiveIntegerField(default=0)
    payouts = models.PositiveIntegerField(default=0)
    exceptions = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["account_iban", "message_id"]), models.Index(fields=["digest"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class BankEntry(models.Model):
    class Direction(models.TextChoices):
        CREDIT = "CRDT"
        DEBIT = "DBIT"

    class Outcome(models.TextChoices):
        CREDITED = "CREDITED"  # matched by reference and credited to a wallet
        PAYOUT = "PAYOUT"  # applied to one of our payouts (debit or return)
        EXCEPTION = "EXCEPTION"  # queued for staff

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="entries")
    account_iban = models.CharField(max_length=34)
    entry_reference = models.CharField(max_length=64)
    direction = models.CharField(max_length=4, choices=Direction.choices)
    amount = money_model_field(default=None)
    currency = models.CharField(max_length=3)
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    end_to_end_id = models.CharField(max_length=64, blank=True)
    remittance = models.CharField(max_length=500, blank=True)
    counterparty_name = models.CharField(max_length=140, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    is_return = models.BooleanField(default=False)
    return_reason = models.CharField(max_length=35, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    wallet_reference = models.CharField(max_length=25, blank=True)  # the RF reference it matched
    deposit = models.OneToOneField(
        TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_entry"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "bank entries"
        constraints = [
            models.UniqueConstraint(fields=["account_iban", "entry_reference"], name="uniq_bank_entry_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_entry_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_reference} {self.direction} {self.amount} {self.currency}"


class BankException(models.Model):
    """An entry code could not place: a credit without a known wallet reference, or a debit or
    return that is none of our payouts. Staff decide once (assign to a user, which credits that
    user's wallet; mark for return; or dismiss a debit), and the decision is kept with who and when."""

    class Status(models.TextChoices):
        OPEN = "OPEN"
        ASSIGNED = "ASSIGNED"  # credited to `assigned_user`'s wallet as `deposit`
        RETURNED = "RETURNED"  # marked for return to the sender: no credit
        DISMISSED = "DISMISSED"  # a debit or return with nothing to do here (bank fee, known item)

    class Reason(models.TextChoices):
        NO_REFERENCE = "no_reference"
        UNKNOWN_REFERENCE = "unknown_reference"
        AMBIGUOUS_REFERENCE = "ambiguous_reference"
        INACTIVE_USER = "inactive_user"
        OVER_LIMIT = "over_limit"
        UNMATCHED_DEBIT = "unmatched_debit"
        UNMATCHED_RETURN = "unmatched_return"

    entry = models.OneToOneField(BankEntry, on_delete=models.PROTECT, related_name="exception")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deposit = models.OneToOneField(
        TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_exception"
    )
    note = models.CharField(max_length=255, blank=True)  # the return reason or why it was dismissed
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="OPEN", decided_at__isnull=True) | Q(~Q(status="OPEN"), decided_at__isnull=False),
                name="bank_exception_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="ASSIGNED") | Q(assigned_user__isnull=False, deposit__isnull=False),
                name="bank_exception_assigned_credited",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry.entry_reference} {self.status}"
