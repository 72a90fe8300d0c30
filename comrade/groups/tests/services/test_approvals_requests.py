"""Approval requests: created instead of running, executed by the last approval in the same
database transaction, refused for the wrong people, ended by a rejection or by time."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.core import jobs
from comrade.core.errors import ApplicationError, Forbidden, NotFound
from comrade.groups.models import ApprovalDecision, ApprovalRequest, GroupMembers, PaymentGroups
from comrade.groups.services import (
    approval_approve,
    approval_reject,
    approval_request_create,
    approval_request_or_run,
    approvals_expire,
    group_approvals_required_set,
    group_leave,
    group_payout,
)
from comrade.groups.tests.approval_helpers import TREASURER, approve_all, council
from comrade.groups.tests.factories import GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken

pytestmark = pytest.mark.django_db


def request_payout(c, amount="50.00", requester=None):
    outcome = approval_request_or_run(
        group=c.group,
        requester=requester or c.admin,
        action="payout",
        params={"user_id": c.member.pk, "amount": Decimal(amount), "description": "School fees"},
    )
    assert outcome.result is None
    return outcome.request


def test_a_payout_becomes_a_request_and_nothing_moves(make_user, unchanged):
    c = council(make_user)
    with unchanged():
        request = request_payout(c)
    assert (request.status, request.action, request.requested_by) == ("PENDING", "payout", c.admin)
    assert request.params == {"user_id": c.member.pk, "amount": "50.00", "description": "School fees"}
    assert pot(c.group) == Decimal("300.00")


def test_the_last_approval_runs_the_payout(make_user):
    c = council(make_user)
    request = request_payout(c)
    member_wallet = wallet(c.member)

    request = approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk, reason="ok")
    assert request.status == "PENDING"
    assert pot(c.group) == Decimal("300.00")

    request = approval_approve(group=c.group, approver=c.treasurer2, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "EXECUTED"
    assert pot(c.group) == Decimal("250.00")
    assert wallet(c.member) == member_wallet + Decimal("50.00")
    txn = TransactionToken.objects.get(pk=request.result["transactions"][0])
    assert (txn.transaction_type, txn.status, txn.sender, txn.receiver) == ("PAYOUT", "COMPLETED", c.admin, c.member)
    assert GroupMembers.objects.get(group=c.group, user=c.member).total_received == Decimal("50.00")
    decisions = list(request.decisions.order_by("id").values_list("approver", "decision", "reason"))
    assert decisions == [(c.treasurer.pk, "APPROVE", "ok"), (c.treasurer2.pk, "APPROVE", "")]
    assert run_all() == []


def test_with_one_approval_required_the_action_runs_at_once(make_user):
    c = council(make_user, approvals_required=1)
    outcome = approval_request_or_run(
        group=c.group, requester=c.admin, action="payout", params={"user_id": c.member.pk, "amount": Decimal("5")}
    )
    assert outcome.request is None
    assert outcome.result.status == "COMPLETED"
    assert pot(c.group) == Decimal("295.00")
    with pytest.raises(ApplicationError) as error:
        approval_request_create(group=c.group, requester=c.admin, action="close", params={})
    assert (error.value.code, error.value.fields.keys()) == ("approval_not_needed", {"action"})


@pytest.mark.parametrize(
    ("who", "error_type", "code"),
    [
        ("admin", ApplicationError, "own_request"),
        ("member", Forbidden, "not_group_approver"),
        ("outsider", NotFound, "not_found"),
    ],
)
def test_who_may_not_decide(make_user, who, error_type, code):
    c = council(make_user)
    request = request_payout(c)
    person = {"admin": c.admin, "member": c.member, "outsider": make_user()}[who]

    with pytest.raises(error_type) as error:
        approval_approve(group=c.group, approver=person, request_id=request.pk)

    assert error.value.code == code
    assert not ApprovalDecision.objects.exists()
    assert pot(c.group) == Decimal("300.00")


def test_approving_twice_is_refused(make_user):
    c = council(make_user, approvals_required=2)
    GroupMemberFactory(group=c.group, user=make_user(), role=TREASURER)
    request = request_payout(c)
    approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)

    with pytest.raises(ApplicationError) as error:
        approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)

    assert error.value.code == "already_decided"
    assert ApprovalDecision.objects.filter(request=request).count() == 1
    assert ApprovalRequest.objects.get(pk=request.pk).status == "PENDING"


def test_a_request_of_another_group_is_not_found(make_user):
    c, other = council(make_user), council(make_user)
    request = request_payout(other)
    with pytest.raises(NotFound):
        approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)


def test_a_rejection_ends_the_request_with_its_reason(make_user):
    c = council(make_user)
    request = request_payout(c)
    approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)

    request = approval_reject(group=c.group, approver=c.treasurer2, request_id=request.pk, reason="Not this month")

    assert request.status == "REJECTED"
    assert request.decisions.get(approver=c.treasurer2).reason == "Not this month"
    with pytest.raises(ApplicationError) as error:
        approval_approve(group=c.group, approver=c.admin, request_id=request.pk)
    assert error.value.code in {"request_not_pending", "own_request"}
    assert pot(c.group) == Decimal("300.00")


def test_a_rejection_needs_a_reason(make_user):
    c = council(make_user)
    request = request_payout(c)
    with pytest.raises(ApplicationError) as error:
        approval_reject(group=c.group, approver=c.treasurer, request_id=request.pk, reason="  ")
    assert error.value.fields.keys() == {"reason"}
    assert ApprovalRequest.objects.get(pk=request.pk).status == "PENDING"


def test_an_expired_request_cannot_be_approved(make_user):
    c = council(make_user)
    request = request_payout(c)
    approval_approve(group=c.group, approver=c.treasurer, request_id=request.pk)
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(ApplicationError) as error:
        approval_approve(group=c.group, approver=c.treasurer2, request_id=request.pk)

    assert error.value.code == "request_expired"
    assert ApprovalRequest.objects.get(pk=request.pk).status == "EXPIRED"
    assert ApprovalDecision.objects.filter(request=request).count() == 1
    assert pot(c.group) == Decimal("300.00")


def test_the_expiry_job_marks_old_requests(make_user, settings):
    settings.GROUP_APPROVAL_EXPIRY_HOURS = 1
    c = council(make_user)
    old, fresh = request_payout(c), request_payout(c)
    ApprovalRequest.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert approvals_expire(timezone.now()) == 1

    assert ApprovalRequest.objects.get(pk=old.pk).status == "EXPIRED"
    assert ApprovalRequest.objects.get(pk=fresh.pk).status == "PENDING"
    assert fresh.expires_at - fresh.created_at < timedelta(hours=1, seconds=5)
    assert jobs.get("expire_group_approvals").run is approvals_expire


def test_a_payout_that_no_longer_fits_fails_and_moves_nothing(make_user):
    c = council(make_user)
    request = request_payout(c, "250.00")
    group_leave(group=c.group, user=c.member)  # takes the member's 200.00 out; the payout's member is gone
    remaining = pot(c.group)

    request = approve_all(c, request)

    request.refresh_from_db()
    assert (request.status, request.failure_code) == ("FAILED", "not_a_member")
    assert pot(c.group) == remaining
    assert ApprovalDecision.objects.filter(request=request, decision="APPROVE").count() == 2
    assert run_all() == []


def test_a_payout_larger_than_the_pot_at_execution_fails(make_user):
    c = council(make_user)
    first, second = request_payout(c, "200.00"), request_payout(c, "200.00")
    approve_all(c, first)

    second = approve_all(c, second)

    second.refresh_from_db()
    assert (second.status, second.failure_code) == ("FAILED", "payment_failed")
    assert pot(c.group) == Decimal("100.00")


def test_an_approved_request_pays_exactly_its_params_once(make_user):
    c = council(make_user)
    request = request_payout(c)
    ApprovalRequest.objects.filter(pk=request.pk).update(status="APPROVED")
    request.refresh_from_db()

    with pytest.raises(ApplicationError) as error:
        group_payout(
            group=c.group,
            admin=c.admin,
            member_user=c.member.pk,
            amount=Decimal("250.00"),
            description="School fees",
            approved_request=request,
        )
    assert error.value.code == "approval_required"

    txn = group_payout(
        group=c.group,
        admin=c.admin,
        member_user=c.member.pk,
        amount=Decimal("50.00"),
        description="School fees",
        approved_request=request,
    )
    assert txn.status == "COMPLETED"
    with pytest.raises(ApplicationError) as error:
        group_payout(
            group=c.group,
            admin=c.admin,
            member_user=c.member.pk,
            amount=Decimal("50.00"),
            description="School fees",
            approved_request=request,
        )
    assert error.value.code == "approval_required"
    assert pot(c.group) == Decimal("250.00")


def test_a_request_is_checked_like_the_action(make_user):
    c = council(make_user)
    with pytest.raises(ApplicationError) as error:
        request_payout(c, "300.01")
    assert (error.value.code, error.value.fields.keys()) == ("insufficient_funds", {"amount"})
    with pytest.raises(Forbidden):
        request_payout(c, requester=c.member)
    assert not ApprovalRequest.objects.exists()


def test_approvals_required_cannot_exceed_the_approvers_besides_a_requester(make_user):
    c = council(make_user, approvals_required=1)
    with pytest.raises(ApplicationError) as error:
        group_approvals_required_set(group=c.group, admin=c.admin, approvals_required=3)
    assert (error.value.code, error.value.fields.keys()) == ("too_few_approvers", {"approvals_required"})

    group = group_approvals_required_set(group=c.group, admin=c.admin, approvals_required=2)
    assert PaymentGroups.objects.get(pk=group.pk).approvals_required == 2


def test_lowering_approvals_required_needs_the_approvals(make_user):
    c = council(make_user)
    with pytest.raises(ApplicationError) as error:
        group_approvals_required_set(group=c.group, admin=c.admin, approvals_required=1)
    assert error.value.code == "approval_required"

    outcome = approval_request_or_run(
        group=c.group, requester=c.admin, action="set_approvals_required", params={"approvals_required": 1}
    )
    approve_all(c, outcome.request)
    assert PaymentGroups.objects.get(pk=c.group.pk).approvals_required == 1
