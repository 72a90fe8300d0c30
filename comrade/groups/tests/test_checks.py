from decimal import Decimal

import pgtrigger
import pytest
from django.utils import timezone

from comrade.groups import checks
from comrade.groups.models import Contribution, GroupMembers, GroupTarget, PaymentGroups
from comrade.groups.tests.factories import GroupTargetFactory
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_group(group, admin, member, contribute):
    target = GroupTargetFactory(group=group, target_amount=Decimal("80.00"))
    contribute(group, member, "30.00", target=target)
    contribute(group, admin, "12.00")
    return group


def test_a_consistent_group_passes_every_check(busy_group):
    assert checks.member_totals() == []
    assert checks.target_allocations() == []
    assert checks.contributions_settled() == []
    assert checks.closed_pots_empty() == []
    assert run_all() == []


def test_a_member_total_out_of_step_with_the_contributions_is_reported(busy_group, member):
    GroupMembers.objects.filter(group=busy_group, user=member).update(total_contributed=Decimal("31.00"))

    [problem] = checks.member_totals()
    assert f"member {member.pk}" in problem and "31.00" in problem
    assert problem in run_all()


def test_targets_claiming_more_than_the_pot_are_reported(busy_group):
    GroupTarget.objects.filter(group=busy_group).update(current_amount=Decimal("42.01"))

    assert checks.target_allocations() == [f"group {busy_group.pk}: targets claim 42.01 but the pot holds 42.00"]


def test_a_contribution_without_a_completed_payment_is_reported(busy_group):
    contribution = Contribution.objects.first()
    with pgtrigger.ignore("ledger.TransactionToken:status_machine"):  # tampering the database refuses
        TransactionToken.objects.filter(pk=contribution.transaction_id).update(status="FAILED")

    assert checks.contributions_settled() == [
        f"contribution {contribution.pk}: transaction is not a COMPLETED payment of {contribution.amount}"
    ]


def test_a_closed_group_with_money_in_its_pot_is_reported(busy_group):
    PaymentGroups.objects.filter(pk=busy_group.pk).update(is_active=False, closed_at=timezone.now())

    assert checks.closed_pots_empty() == [f"group {busy_group.pk} is closed but its pot holds 42.00"]
    assert LedgerAccount.objects.get(pk=busy_group.pot_id).balance == Decimal("42.00")
