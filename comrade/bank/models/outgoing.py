"""Saved bank accounts and pain.001 payment files (outgoing side)."""

from django.conf import settings
from django.db import models

__all__ = ["BankAccount", "PaymentFile", "PaymentFileEntry", "StatusReport"]


class BankAccount(models.Model):
    """An account a user withdraws to. The IBAN is stored in electronic format (no spaces,
    upper case) after schwifty checked its checksum and country format; the BIC likewise."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bank_accounts")
    holder_name = models.CharField(max_length=70)  # the SEPA limit for a creditor's name
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "iban"], name="uniq_bank_account_user_iban")]
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.iban[:4]}…{self.iban[-4:]}"


class PaymentFile(models.Model):
    """One pain.001 credit-transfer file: the payouts of one requested execution date, as staff
    hand it to the bank."""

    class Status(models.TextChoices):
        READY = "READY"  # written, not yet downloaded
        DOWNLOADED = "DOWNLOADED"  # staff took it to the bank
        CLOSED = "CLOSED"  # every payout in it has ended (debited, returned or rejected)

    message_id = models.CharField(max_length=35, unique=True)
    execution_date = models.DateField()
    currency = models.CharField(max_length=3)
    schema = models.CharField(max_length=32)
    xml = models.TextField()
    transaction_count = models.PositiveIntegerField()
    control_sum = models.DecimalField(max_digits=16, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY)
    created = models.DateTimeField(auto_now_add=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.execution_date}, {self.transaction_count} payouts)"


class PaymentFileEntry(models.Model):
    """A payout in a payment file. `payment` is unique: a payout is in at most one file.
    `end_to_end_id` is what the bank echoes on the debit, the return and the status report."""

    class Outcome(models.TextChoices):
        SENT = "SENT"  # in the file, no answer yet
        DEBITED = "DEBITED"  # a statement shows the debit: the payout completed
        RETURNED = "RETURNED"  # the bank returned it (AC04...): released, or credited back
        REJECTED = "REJECTED"  # a pain.002 rejected it before execution: released
        REVIEW = "REVIEW"  # an answer code must not decide alone (another amount): for staff

    file = models.ForeignKey(PaymentFile, on_delete=models.PROTECT, related_name="entries")
    payment = models.OneToOneField("gateways.ExternalPayment", on_delete=models.PROTECT, related_name="bank_file_entry")
    end_to_end_id = models.CharField(max_length=35, unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    creditor_name = models.CharField(max_length=70)
    creditor_iban = models.CharField(max_length=34)
    creditor_bic = models.CharField(max_length=11, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENT)
    outcome_detail = models.CharField(max_length=255, blank=True)
    bank_entry_id = models.BigIntegerField(null=True, blank=True)  # the statement entry that decided it
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.outcome}"


class StatusReport(models.Model):
    """An imported pain.002 customer payment status report, and what it did."""

    message_id = models.CharField(max_length=35, unique=True)
    original_message_id = models.CharField(max_length=35)
    file = models.ForeignKey(PaymentFile, on_delete=models.PROTECT, related_name="status_reports")
    group_status = models.CharField(max_length=4, blank=True)
    summary = models.JSONField(default=dict)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
