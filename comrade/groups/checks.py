"""What `verify_ledger` checks for groups (registered in GroupsConfig.ready):

- a member's `total_contributed` equals the sum of the Contribution rows of that membership
  (contributions of a member who left the group no longer belong to a membership);
- the targets of a group never claim more than its pot holds;
- every contribution's transaction is COMPLETED for the same amount;
- a closed group's pot is empty.

Sums are taken in Python with Decimal: SQLite adds decimals as floats.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import F

from comrade.groups.models import Contribution, GroupMembers, GroupTarget, PaymentGroups

CHUNK = 5000


def _sums(rows) -> dict[int, Decimal]:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for key, amount in rows.iterator(chunk_size=CHUNK):
        sums[key] += amount
    return sums


def member_totals() -> list[str]:
    summed = _sums(Contribution.objects.filter(membership__isnull=False).values_list("membership_id", "amount"))
    members = GroupMembers.objects.values_list("pk", "group_id", "user_id", "total_contributed")
    return [
        f"group {group_id} member {user_id}: total_contributed {total} != contributions {summed.get(pk, Decimal(0))}"
        for pk, group_id, user_id, total in members.iterator(chunk_size=CHUNK)
        if total != summed.get(pk, Decimal(0))
    ]


def target_allocations() -> list[str]:
    allocated = _sums(GroupTarget.objects.values_list("group_id", "current_amount"))
    pots = dict(PaymentGroups.objects.filter(pk__in=list(allocated)).values_list("pk", "pot__balance"))
    return [
        f"group {group_id}: targets claim {claimed} but the pot holds {pots[group_id]}"
        for group_id, claimed in sorted(allocated.items())
        if claimed > pots[group_id]
    ]


def contributions_settled() -> list[str]:
    wrong = Contribution.objects.exclude(transaction__status="COMPLETED", transaction__amount=F("amount"))
    return [f"contribution {c.pk}: transaction is not a COMPLETED payment of {c.amount}" for c in wrong]


def closed_pots_empty() -> list[str]:
    groups = PaymentGroups.objects.filter(closed_at__isnull=False).exclude(pot__balance=0).select_related("pot")
    return [f"group {g.pk} is closed but its pot holds {g.pot.balance}" for g in groups]
