"""Approvals under concurrency, on PostgreSQL only (SQLite ignores select_for_update)."""

from decimal import Decimal

import pytest

from comrade.core.testing.concurrency import run_together
from comrade.groups.models import ApprovalRequest, GroupMembers, PaymentGroups
from comrade.groups.services import (
    approval_approve,
    approval_request_or_run,
    group_payout,
    group_rotation_payout,
)
from comrade.groups.tests.approval_helpers import TREASURER, council
from comrade.groups.tests.factories import GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def payout_request(c, amount: str) -> ApprovalRequest:
    params = {"user_id": c.member.pk, "amount": Decimal(amount)}
    return approval_request_or_run(group=c.group, requester=c.admin, action="payout", params=params).request


def test_two_approvers_taking_the_last_slot_pay_once(make_user):
    c = council(make_user)
    third = make_user()
    GroupMemberFactory(group=c.group, user=third, role=TREASURER)
    request = payout_request(c, "120.00")
    approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)
    before = wallet(c.member)

    results = run_together(
        [lambda a=a: approval_approve(group=c.group, approver=a, request_id=request.pk) for a in (c.treasurer2, third)]
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert [getattr(r, "code", r) for r in refused] == ["request_not_pending"]
    assert pot(c.group) == Decimal("180.00")
    assert wallet(c.member) == before + Decimal("120.00")
    assert TransactionToken.objects.filter(transaction_type="PAYOUT").count() == 1
    assert ApprovalRequest.objects.get(pk=request.pk).status == "EXECUTED"
    assert run_all() == []


def test_approvals_and_direct_payouts_together_pay_only_the_approved_request(make_user):
    c = council(make_user)
    GroupMembers.objects.filter(group=c.group).update(payout_position=1)
    requests = [payout_request(c, "100.00") for _ in range(2)]
    for request in requests:
        approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)
    before = wallet(c.member)

    direct = [
        lambda: group_payout(group=c.group, admin=c.admin, member_user=c.member.pk, amount=Decimal("100.00")),
        lambda: group_rotation_payout(group=c.group, admin=c.admin),
        lambda: group_payout(
            group=c.group,
            admin=c.admin,
            member_user=c.member.pk,
            amount=Decimal("100.00"),
            approved_request=requests[0],
        ),
    ]
    approvals = [lambda r=r: approval_approve(group=c.group, approver=c.treasurer2, request_id=r.pk) for r in requests]
    results = run_together([*direct, *approvals, approvals[0]])

    codes = sorted(getattr(r, "code", "ok") for r in results)
    assert codes.count("approval_required") == 3
    assert codes.count("ok") == 2
    assert pot(c.group) == Decimal("100.00")
    assert wallet(c.member) == before + Decimal("200.00")
    assert set(ApprovalRequest.objects.values_list("status", flat=True)) == {"EXECUTED"}
    assert TransactionToken.objects.filter(transaction_type="PAYOUT", status="COMPLETED").count() == 2
    assert PaymentGroups.objects.get(pk=c.group.pk).rotation_cycle == 1
    assert run_all() == []
