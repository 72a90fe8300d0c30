"""verify_ledger catches an obligation paid twice and a contribution counted twice."""

from decimal import Decimal

import pytest

from comrade.groups.models import DuesAllocation, DuesObligation, DuesReceipt
from comrade.groups.tests.dues_helpers import run_job, set_dues
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(group, admin, member, contribute):
    set_dues(group, admin, "10.00")
    run_job()
    contribute(group, member, "15.00")
    assert run_all() == []
    return DuesAllocation.objects.get()


def test_an_obligation_paid_twice_is_reported(paid):
    second = DuesReceipt.objects.create(
        contribution=paid.receipt.contribution.__class__.objects.create(
            group=paid.receipt.group,
            member=paid.receipt.user,
            amount=Decimal("10.00"),
            transaction=paid.receipt.contribution.transaction.__class__.objects.exclude(
                pk=paid.receipt.contribution.transaction_id
            ).first(),
        ),
        group=paid.receipt.group,
        user=paid.receipt.user,
        unallocated=Decimal("0.00"),
    )
    DuesAllocation.objects.create(receipt=second, obligation=paid.obligation, amount=Decimal("10.00"))

    problems = run_all()

    assert any(f"dues obligation {paid.obligation_id}: paid_amount 10.00 != allocations 20.00" in p for p in problems)


def test_a_contribution_counted_twice_is_reported(paid, admin):
    other = DuesObligation.objects.get(user=admin)
    DuesAllocation.objects.create(receipt=paid.receipt, obligation=other, amount=Decimal("10.00"))
    DuesObligation.objects.filter(pk=other.pk).update(paid_amount=Decimal("10.00"), status="PAID")

    problems = run_all()

    contribution = paid.receipt.contribution_id
    assert any(f"contribution {contribution}: allocated 20.00 + credit 5.00 != its amount 15.00" in p for p in problems)
    assert any("pays another member's or group's obligation" in p for p in problems)


def test_a_paid_amount_that_drifted_is_reported(paid):
    DuesObligation.objects.filter(pk=paid.obligation_id).update(paid_amount=Decimal("9.00"), status="OPEN")

    assert any(f"dues obligation {paid.obligation_id}: paid_amount 9.00" in p for p in run_all())
