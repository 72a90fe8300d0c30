"""The double-entry ledger.

Invariant: the entries of one transaction sum to zero, and an account's cached balance equals
the sum of its entries. Entries are append-only. The database enforces what it can (CHECKs on
balances and amounts, unique tokens, and on PostgreSQL the triggers declared below with
django-pgtrigger: entries and the audit trail refuse UPDATE/DELETE, a token never changes, a
status follows ALLOWED_TRANSITIONS, and a deferred check refuses at COMMIT a transaction whose
entries do not sum to zero); `manage.py verify_ledger` checks the rest. SQLite installs no
triggers and relies on the model layer.
"""

import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from comrade.core.money import money_model_field


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        WALLET = "WALLET"
        GROUP_POT = "GROUP_POT"
        FUNDING = "FUNDING"  # platform money used to fund wallets by staff
        CLEARING = "CLEARING"  # money at an external provider, one per provider
        HOLDING = "HOLDING"  # withdrawals in flight
        REVENUE = "REVENUE"  # sales and subscriptions

    kind = models.CharField(max_length=16, choices=Kind.choices)
    code = models.CharField(max_length=64, unique=True)
    currency = models.CharField(max_length=3, default=default_currency)
    allow_negative = models.BooleanField(default=False)
    balance = money_model_field()
    total_in = money_model_field()
    total_out = money_model_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0), name="ledger_account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total_in__gte=0) & Q(total_out__gte=0), name="ledger_account_totals_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["kind"]), models.Index(fields=["balance"])]

    def __str__(self) -> str:
        return self.code


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=["user", "payment_methods", "default_payment_method"],
    model_name="PaymentProfileEvent",
    append_only=True,
)
class PaymentProfile(models.Model):
    """A user's wallet. `comrade_balance`, `total_sent` and `total_received` are the wallet ledger
    account's cached balance, total debits and total credits (CHECK balance >= 0 lives there).
    Every change of the saved payment methods is kept in PaymentProfileEvent (PostgreSQL only)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_profile")
    account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="profile")
    payment_methods = models.JSONField(default=list, blank=True)
    default_payment_method = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Wallet of {self.user}"

    @property
    def comrade_balance(self):
        return self.account.balance

    @property
    def total_sent(self):
        return self.account.total_out

    @property
    def total_received(self):
        return self.account.total_in


def new_token() -> str:
    return f"TXN-{uuid.uuid4()}"


class TransactionStatus(models.TextChoices):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    VERIFIED = "VERIFIED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    TransactionStatus.PENDING: {TransactionStatus.AUTHORIZED, TransactionStatus.FAILED, TransactionStatus.CANCELLED},
    TransactionStatus.AUTHORIZED: {TransactionStatus.VERIFIED, TransactionStatus.FAILED, TransactionStatus.CANCELLED},
    TransactionStatus.VERIFIED: {TransactionStatus.COMPLETED, TransactionStatus.FAILED},
    TransactionStatus.COMPLETED: set(),
    TransactionStatus.FAILED: set(),
    TransactionStatus.CANCELLED: set(),
}


class IllegalTransition(Exception):
    pass


def _refuse_change(name: str) -> pgtrigger.Trigger:
    """A trigger that refuses UPDATE and DELETE with the ledger's own message (append-only)."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Update | pgtrigger.Delete,
        func="RAISE EXCEPTION '% on % is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME;",
    )


def _allowed_pairs() -> str:
    """ALLOWED_TRANSITIONS as a PostgreSQL text[] literal of 'FROM:TO' pairs, sorted so the
    generated SQL (and so the migration) is stable."""
    pairs = sorted(f"{old}:{new}" for old, targets in ALLOWED_TRANSITIONS.items() for new in targets)
    return "'{" + ",".join(pairs) + "}'::text[]"


def _status_machine() -> pgtrigger.Trigger:
    """ALLOWED_TRANSITIONS in the database, so raw SQL cannot skip a step (PENDING -> COMPLETED)
    or revive a final status (FAILED -> COMPLETED). A change of `status` is accepted when it is one
    allowed step, or when the audit trail already holds every step from the old status to the new
    one, each allowed: the hot path (`services._advance`) writes those rows, then the status once."""
    return pgtrigger.Trigger(
        name="status_machine",
        when=pgtrigger.Before,
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange("status"),
        declare=[("step", "record"), ("at", "text")],
        func=f"""
            IF OLD.status || ':' || NEW.status = ANY({_allowed_pairs()}) THEN
                RETURN NEW;
            END IF;
            at := OLD.status;
            FOR step IN SELECT from_status, to_status FROM ledger_transactionstatuschange
                WHERE transaction_id = NEW.id AND id > (
                    SELECT MAX(id) FROM ledger_transactionstatuschange
                    WHERE transaction_id = NEW.id AND to_status = OLD.status)
                ORDER BY id
            LOOP
                EXIT WHEN step.from_status <> at OR NOT (at || ':' || step.to_status = ANY({_allowed_pairs()}));
                at := step.to_status;
            END LOOP;
            IF at IS DISTINCT FROM NEW.status THEN
                RAISE EXCEPTION 'transaction % may not go from % to %: not a step of ALLOWED_TRANSITIONS',
                    OLD.token, OLD.status, NEW.status;
            END IF;
            RETURN NEW;
        """,
    )


class FailureCode:
    """Why a transaction failed or is waiting, as a stable code that code may decide on (the
    reason text is for people). Providers' own codes (card_declined, mpesa_1032, ...) are stored
    as they come; these are ours."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    PROVIDER_REFUSED = "provider_refused"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_FAILED = "provider_failed"
    PAYMENT_ATTEMPT_FAILED = "payment_attempt_failed"
    EXPIRED = "expired"
    CANCELLED_BY_OWNER = "cancelled_by_owner"
    DESTINATION_REFUSED = "destination_refused"


class TransactionToken(models.Model):
    class PaymentMethod(models.TextChoices):
        INTERNAL = "INTERNAL"
        EXTERNAL = "EXTERNAL"

    class Type(models.TextChoices):
        TRANSFER = "TRANSFER"
        PURCHASE = "PURCHASE"
        CONTRIBUTION = "CONTRIBUTION"
        DEPOSIT = "DEPOSIT"
        WITHDRAWAL = "WITHDRAWAL"
        REFUND = "REFUND"
        PAYOUT = "PAYOUT"
        SUBSCRIPTION = "SUBSCRIPTION"
        FUNDING = "FUNDING"

    Status = TransactionStatus

    # sender and receiver are indexed by txn_sender_newest / txn_receiver_newest (leading column)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_transactions", db_index=False
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_transactions",
        db_index=False,
    )
    amount = money_model_field(default=None)
    currency = models.CharField(max_length=3, default=default_currency)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.INTERNAL)
    external_payment_provider = models.CharField(max_length=32, blank=True)
    transaction_type = models.CharField(max_length=16, choices=Type.choices, default=Type.TRANSFER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    description = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    authorization_code = models.CharField(max_length=128, blank=True)
    verification_date = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=64, blank=True, default="", db_default="")
    related_transaction = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="related_transactions"
    )
    idempotency_record = models.ForeignKey(
        "core.IdempotencyRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="token_immutable",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("token"),
                func="RAISE EXCEPTION 'transaction token % is immutable', OLD.token;",
            ),
            _status_machine(),
        ]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["sender", "-id"], name="txn_sender_newest"),
            models.Index(fields=["receiver", "-id"], name="txn_receiver_newest"),
        ]

    def __str__(self) -> str:
        return self.token

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored = {"token": instance.__dict__.get("token"), "status": instance.__dict__.get("status")}
        return instance

    def save(self, *args, **kwargs):
        """Refuses a changed token and any status change that skips the state machine."""
        stored = getattr(self, "_stored", None)
        if stored and self.pk:
            if stored["token"] is not None and stored["token"] != self.token:
                raise IllegalTransition("A transaction token is immutable.")
            old = stored["status"]
            if old is not None and old != self.status and self.status not in ALLOWED_TRANSITIONS[old]:
                raise IllegalTransition(f"{old} -> {self.status} is not allowed.")
        super().save(*args, **kwargs)
        self._stored = {"token": self.token, "status": self.status}

    @property
    def is_final(self) -> bool:
        return not ALLOWED_TRANSITIONS[self.status]


class TransactionStatusChange(models.Model):
    """The audit trail: one row per status a transaction entered, append-only."""

    # indexed by (transaction, id) below
    transaction = models.ForeignKey(
        TransactionToken, on_delete=models.PROTECT, related_name="status_changes", db_index=False
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=TransactionStatus.choices)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["transaction", "id"])]
        triggers = [_refuse_change("status_change_append_only")]


JOURNAL_BALANCED_FUNCTION = "ledger_check_journal_balanced"
JOURNAL_BALANCED_BODY = """
    SELECT COALESCE(SUM(amount), 0) INTO total FROM ledger_ledgerentry
        WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'entries of transaction % sum to %, not zero', NEW.transaction_id, total;
    END IF;
    RETURN NULL;
"""


class JournalBalanced(pgtrigger.Trigger):
    """The deferred balanced-journal trigger, declared with pgtrigger but executing a plain function
    of ours, JOURNAL_BALANCED_FUNCTION (created by migration 0008 with the same body), instead of the
    one pgtrigger generates. pgtrigger's function first calls `_pgtrigger_should_ignore()`, whose
    `BEGIN ... EXCEPTION` block opens a subtransaction for every row and, with `pgtrigger.ignore`
    unset, aborts it. At COMMIT, where this deferred trigger runs, PostgreSQL answers every aborted
    subtransaction by scanning the whole queue of pending trigger events (AfterTriggerEndSubXact),
    so committing n new entries cost O(n^2): 100,000 entries took minutes. The plain function costs
    one index lookup per entry. (`pgtrigger.ignore()` cannot switch this trigger off; nothing
    should.)"""

    def render_execute(self, model) -> str:
        return f"{JOURNAL_BALANCED_FUNCTION}()"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger entries are append-only.")

    def delete(self):
        raise TypeError("Ledger entries are append-only.")


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(TransactionToken, on_delete=models.PROTECT, related_name="entries")
    # indexed by entry_account_id (account, id)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)  # credit > 0, debit < 0
    balance_after = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero")]
        indexes = [models.Index(fields=["account", "id"], name="entry_account_id")]
        triggers = [
            _refuse_change("entry_append_only"),
            JournalBalanced(
                name="journal_balanced",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                declare=[("total", "numeric")],
                func=JOURNAL_BALANCED_BODY,
            ),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are append-only.")
