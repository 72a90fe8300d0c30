"""What `verify_ledger` checks for dues (registered in GroupsConfig.ready). Allocation rows tie
contributions to obligations; these checks catch an obligation paid twice and a contribution
counted twice:

- an obligation's `paid_amount` equals the sum of its allocations and is never above its amount,
  and it is PAID exactly when fully paid (unless waived);
- a counted contribution's allocations plus its remaining credit equal its amount, and every
  allocation pays an obligation of the same group and member as the contribution.

Sums are taken in Python with Decimal: SQLite adds decimals as floats.
"""

from decimal import Decimal

from comrade.groups.checks import _sums
from comrade.groups.models import DuesAllocation, DuesObligation, DuesReceipt

Status = DuesObligation.Status


def obligations_paid_once() -> list[str]:
    allocated = _sums(DuesAllocation.objects.values_list("obligation_id", "amount"))
    problems = []
    rows = DuesObligation.objects.values_list("pk", "amount", "paid_amount", "status")
    for pk, amount, paid, status in rows.iterator(chunk_size=5000):
        total = allocated.get(pk, Decimal(0))
        if total != paid:
            problems.append(f"dues obligation {pk}: paid_amount {paid} != allocations {total}")
        if total > amount:
            problems.append(f"dues obligation {pk}: allocations {total} exceed its amount {amount}")
        if status != Status.WAIVED and (status == Status.PAID) != (paid == amount):
            problems.append(f"dues obligation {pk}: status {status} with {paid} paid of {amount}")
    return problems


def contributions_counted_once() -> list[str]:
    allocated = _sums(DuesAllocation.objects.values_list("receipt_id", "amount"))
    problems = []
    rows = DuesReceipt.objects.values_list(
        "pk", "contribution_id", "contribution__amount", "unallocated", "group_id", "contribution__group_id"
    )
    for pk, contribution_id, amount, unallocated, group_id, contribution_group in rows.iterator(chunk_size=5000):
        total = allocated.get(pk, Decimal(0))
        if total + unallocated != amount:
            problems.append(
                f"contribution {contribution_id}: allocated {total} + credit {unallocated} != its amount {amount}"
            )
        if group_id != contribution_group:
            problems.append(f"contribution {contribution_id}: counted toward dues of another group")
    return problems + _mismatched_allocations()


def _mismatched_allocations() -> list[str]:
    rows = DuesAllocation.objects.values_list(
        "pk", "receipt__group_id", "receipt__user_id", "obligation__group_id", "obligation__user_id"
    )
    return [
        f"dues allocation {pk}: pays another member's or group's obligation"
        for pk, r_group, r_user, o_group, o_user in rows.iterator(chunk_size=5000)
        if (r_group, r_user) != (o_group, o_user)
    ]
