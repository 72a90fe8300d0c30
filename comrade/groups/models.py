"""Payment groups: savings and purchase groups whose money sits in a pot.

Invariant: a group's pot is a GROUP_POT ledger account and its balance IS the group's
`current_amount` (no second copy). A member's `total_contributed` is a cache of the sum of the
Contribution rows of that membership, written in the same database transaction as the ledger
entries. The targets of a group never claim more than its pot holds.
"""

import secrets

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from comrade.core.money import ZERO, money_model_field
from comrade.ledger.models import LedgerAccount, TransactionToken


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


# A group's settings; the pot and the timestamps are left out (money is in the ledger).
GROUP_HISTORY_FIELDS = [
    "name",
    "description",
    "admin",
    "group_type",
    "target_amount",
    "currency",
    "deadline",
    "is_active",
    "is_open",
    "closed_at",
    "rotation_cycle",
    "approvals_required",
    "rotation_requires_full_round",
    "rotation_auto",
]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=GROUP_HISTORY_FIELDS,
    model_name="PaymentGroupEvent",
    append_only=True,
)
class PaymentGroups(models.Model):
    class GroupType(models.TextChoices):
        SAVINGS = "SAVINGS"
        PURCHASE = "PURCHASE"

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    admin = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="administered_groups")
    group_type = models.CharField(max_length=8, choices=GroupType.choices, default=GroupType.SAVINGS)
    target_amount = money_model_field(default=None, null=True, blank=True)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    deadline = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_open = models.BooleanField(default=False, help_text="Anyone may join without an invitation.")
    closed_at = models.DateTimeField(null=True, blank=True)
    pot = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="payment_group")
    rotation_cycle = models.PositiveIntegerField(default=1, help_text="The current merry-go-round cycle.")
    approvals_required = models.PositiveSmallIntegerField(
        default=1, help_text="Approvals (by ADMINs and TREASURERs) before money leaves the pot; 1 = the admin alone."
    )
    rotation_requires_full_round = models.BooleanField(
        default=False, help_text="A rotation payout waits until every member's dues for the period are paid."
    )
    rotation_auto = models.BooleanField(
        default=False, help_text="The scheduler pays the next member in the order once the round is complete."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "payment group"
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__isnull=True) | Q(target_amount__gt=0), name="group_target_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(is_active=False), name="group_closed_is_inactive"
            ),
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1, approvals_required__lte=3), name="group_approvals_required_1_3"
            ),
        ]
        indexes = [
            models.Index(fields=["admin"]),
            models.Index(fields=["group_type"]),
            models.Index(fields=["is_active"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_amount(self):
        return self.pot.balance

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=["group", "user", "role", "payout_position"],
    model_name="GroupMemberEvent",
    append_only=True,
)
class GroupMembers(models.Model):
    class Role(models.TextChoices):
        ADMIN = "ADMIN"
        MEMBER = "MEMBER"
        TREASURER = "TREASURER"

    APPROVER_ROLES = (Role.ADMIN, Role.TREASURER)

    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_memberships")
    role = models.CharField(max_length=9, choices=Role.choices, default=Role.MEMBER)
    total_contributed = money_model_field()
    joined_at = models.DateTimeField(auto_now_add=True)
    total_received = money_model_field(
        help_text="What the pot paid this membership back (payouts, rotation payouts); its balance in "
        "the group is total_contributed - total_received, never below 0."
    )
    payout_position = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "group member"
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_member_unique"),
            models.CheckConstraint(condition=Q(total_contributed__gte=0), name="group_member_total_not_negative"),
            models.CheckConstraint(condition=Q(total_received__gte=0), name="group_member_received_not_negative"),
        ]
        indexes = [
            models.Index(fields=["group"]),
            models.Index(fields=["user"]),
            models.Index(fields=["role"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_approver(self) -> bool:
        return self.role in self.APPROVER_ROLES


class RotationPayout(models.Model):
    """Who received the merry-go-round payout in which cycle. Kept per user, not per membership,
    so leaving and rejoining cannot make a member eligible twice in one cycle; the unique
    constraint holds even if two payouts were to race."""

    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="rotation_payouts")
    cycle = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rotation_payouts")
    transaction = models.OneToOneField(
        TransactionToken,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rotation_payout",
        help_text="Empty only for payouts recorded before this table existed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "cycle", "user"], name="rotation_payout_once_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.user} received in cycle {self.cycle} of {self.group}"


class GroupTarget(models.Model):
    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    target_amount = money_model_field(default=None)
    current_amount = money_model_field(help_text="The part of the group's pot allocated to this target.")
    target_date = models.DateField(null=True, blank=True)
    is_achieved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "group target"
        constraints = [
            models.CheckConstraint(condition=Q(target_amount__gt=0), name="group_target_goal_positive"),
            models.CheckConstraint(condition=Q(current_amount__gte=0), name="group_target_current_not_negative"),
        ]
        indexes = [
            models.Index(fields=["group"]),
            models.Index(fields=["is_achieved"]),
            models.Index(fields=["target_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.group})"


class Contribution(models.Model):
    group = models.ForeignKey(PaymentGroups, on_delete=models.PROTECT, related_name="contributions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_contributions")
    membership = models.ForeignKey(
        GroupMembers,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        help_text="Empty once the member has left the group; the money stays in the pot.",
    )
    amount = money_model_field(default=None)
    transaction = models.OneToOneField(TransactionToken, on_delete=models.PROTECT, related_name="group_contribution")
    target = models.ForeignKey(
        GroupTarget, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    contribution_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="group_contribution_amount_positive")]
        indexes = [
            models.Index(fields=["group"]),
            models.Index(fields=["member"]),
            models.Index(fields=["contribution_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.member} to {self.group}"


class GroupInvitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        ACCEPTED = "ACCEPTED"
        DECLINED = "DECLINED"
        EXPIRED = "EXPIRED"

    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="invitations")
    inviter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_invitations")
    invitee_email = models.EmailField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "group invitation"
        constraints = [
            models.UniqueConstraint(
                fields=["group", "invitee_email"],
                condition=Q(status="PENDING"),
                name="group_invitation_one_pending",
            )
        ]
        indexes = [
            models.Index(fields=["group"]),
            models.Index(fields=["invitee_email"]),
            models.Index(fields=["status"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.invitee_email} to {self.group} ({self.status})"


class ApprovalRequest(models.Model):
    """Something that moves money out of a pot (or weakens the group's oversight), waiting for
    the approvals the group requires. `params` are the action's canonical arguments: the service
    that finally runs compares its own arguments with them, so an approval covers exactly what
    was asked for, once (APPROVED -> EXECUTED is a conditional update)."""

    class Action(models.TextChoices):
        PAYOUT = "payout"
        ROTATION_PAYOUT = "rotation_payout"
        POT_PURCHASE = "pot_purchase"
        CLOSE = "close"
        REMOVE_MEMBER = "remove_member"
        SET_ROLE = "set_role"
        SET_APPROVALS_REQUIRED = "set_approvals_required"

    class Status(models.TextChoices):
        PENDING = "PENDING"
        APPROVED = "APPROVED"
        EXECUTED = "EXECUTED"
        REJECTED = "REJECTED"
        EXPIRED = "EXPIRED"
        FAILED = "FAILED"

    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="approval_requests")
    action = models.CharField(max_length=32, choices=Action.choices)
    params = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_approval_requests"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What the execution did (transaction ids).")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["group", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} in {self.group} ({self.status})"


class ApprovalDecision(models.Model):
    """One approver's answer to one request, kept for good (who, when, why)."""

    class Decision(models.TextChoices):
        APPROVE = "APPROVE"
        REJECT = "REJECT"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_approvals")
    decision = models.CharField(max_length=7, choices=Decision.choices)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "approver"], name="approval_decision_once_per_approver"),
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.decision} {self.request_id}"


# --- dues ---------------------------------------------------------------------------------------
# What members owe the group (see services/dues.py). Allocation is bookkeeping on top of the
# contributions: it never moves money. Invariants, checked by verify_ledger (checks.py):
# an obligation's `paid_amount` is the sum of its allocations and never above its amount; a
# counted contribution's allocations plus its `unallocated` credit equal its amount.


class DuesSchedule(models.Model):
    class Frequency(models.TextChoices):
        WEEKLY = "WEEKLY"
        MONTHLY = "MONTHLY"
        EVERY_N_DAYS = "EVERY_N_DAYS"

    class FineKind(models.TextChoices):
        NONE = "NONE"
        FIXED = "FIXED"
        PERCENT = "PERCENT"

    group = models.OneToOneField(PaymentGroups, on_delete=models.CASCADE, related_name="dues_schedule")
    amount = money_model_field(default=None)
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    interval_days = models.PositiveIntegerField(null=True, blank=True, help_text="Only for EVERY_N_DAYS.")
    first_due_date = models.DateField()
    grace_days = models.PositiveIntegerField(default=0)
    fine_kind = models.CharField(max_length=8, choices=FineKind.choices, default=FineKind.NONE)
    fine_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="An amount (FIXED) or a percentage."
    )
    remind_days_before = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no reminder before.")
    remind_on_arrears = models.BooleanField(default=False)
    periods_created = models.PositiveIntegerField(
        default=0, help_text="How many periods from first_due_date have their obligations (the job's cursor)."
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_schedule_amount_positive"),
            models.CheckConstraint(
                condition=~Q(frequency="EVERY_N_DAYS") | Q(interval_days__gte=1), name="dues_schedule_interval_set"
            ),
            models.CheckConstraint(
                condition=Q(fine_kind="NONE", fine_value__isnull=True) | Q(~Q(fine_kind="NONE"), fine_value__gt=0),
                name="dues_schedule_fine_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} dues of {self.amount} in {self.group}"


class DuesObligation(models.Model):
    """One member's dues for one period (DUES), or the late fine charged once on an overdue DUES
    obligation (FINE, `fine_for` set; its period_start is that of the obligation it punishes)."""

    class Kind(models.TextChoices):
        DUES = "DUES"
        FINE = "FINE"

    class Status(models.TextChoices):
        OPEN = "OPEN"
        PAID = "PAID"
        WAIVED = "WAIVED"

    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="dues_obligations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dues_obligations")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField()
    arrears_from = models.DateField(help_text="Overdue past the grace period from this day on.")
    amount = money_model_field(default=None)
    paid_amount = money_model_field()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    fine_for = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="fine", help_text="FINE only."
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waive_reason = models.TextField(blank=True)
    reminded_before_at = models.DateTimeField(null=True, blank=True)
    reminded_arrears_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "period_start", "kind"], name="dues_obligation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_obligation_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0, paid_amount__lte=F("amount")), name="dues_obligation_paid_in_range"
            ),
            models.CheckConstraint(
                condition=~Q(status="PAID") | Q(paid_amount=F("amount")), name="dues_obligation_paid_is_full"
            ),
            models.CheckConstraint(
                condition=Q(kind="FINE", fine_for__isnull=False) | Q(kind="DUES", fine_for__isnull=True),
                name="dues_obligation_fine_has_origin",
            ),
            models.CheckConstraint(
                condition=~Q(status="WAIVED") | Q(kind="FINE", waived_by__isnull=False, waived_at__isnull=False),
                name="dues_obligation_only_fines_waived",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "user", "status", "due_date"], name="dues_obligation_open"),
            models.Index(fields=["status", "arrears_from"], name="dues_obligation_arrears"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} of {self.user} for {self.period_start} ({self.status})"

    @property
    def outstanding(self):
        return self.amount - self.paid_amount if self.status == self.Status.OPEN else ZERO


class DuesReceipt(models.Model):
    """A contribution counted toward dues (made while the group had a dues schedule): at most one
    per contribution. `unallocated` is its part not yet allocated: the member's credit."""

    contribution = models.OneToOneField(Contribution, on_delete=models.PROTECT, related_name="dues_receipt")
    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="dues_receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dues_receipts")
    unallocated = money_model_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(unallocated__gte=0), name="dues_receipt_credit_not_negative")]
        indexes = [models.Index(fields=["group", "user", "unallocated"], name="dues_receipt_credit")]

    def __str__(self) -> str:
        return f"dues receipt for contribution {self.contribution_id}"


class DuesAllocation(models.Model):
    """Part of a contribution paying part of an obligation."""

    receipt = models.ForeignKey(DuesReceipt, on_delete=models.PROTECT, related_name="allocations")
    obligation = models.ForeignKey(DuesObligation, on_delete=models.PROTECT, related_name="allocations")
    amount = money_model_field(default=None)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_allocation_amount_positive"),
            models.UniqueConstraint(fields=["receipt", "obligation"], name="dues_allocation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of receipt {self.receipt_id} to obligation {self.obligation_id}"


class RotationRound(models.Model):
    """What the automatic rotation did for one dues period of a group: at most one per period, so
    the scheduler never pays a period's round twice."""

    class Status(models.TextChoices):
        PAID = "PAID"  # the rotation payout completed
        REQUESTED = "REQUESTED"  # the service answered without paying (for example, approval needed)
        FAILED = "FAILED"  # refused or failed; tried again on the next run

    group = models.ForeignKey(PaymentGroups, on_delete=models.CASCADE, related_name="rotation_rounds")
    period_start = models.DateField()
    status = models.CharField(max_length=9, choices=Status.choices)
    transaction = models.OneToOneField(
        TransactionToken, on_delete=models.PROTECT, null=True, blank=True, related_name="rotation_round"
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "period_start"], name="rotation_round_once")]

    def __str__(self) -> str:
        return f"round {self.period_start} of {self.group}: {self.status}"
