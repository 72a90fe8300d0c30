"""Every route by which money leaves a pot (or the group's oversight weakens) refuses to run
without an approved request once the group requires several approvals, and runs with one."""

from decimal import Decimal

import pytest

from comrade.commerce.models import Purchase
from comrade.commerce.services.purchases import product_purchase_from_pot, sales_account
from comrade.commerce.tests.factories import ProductFactory
from comrade.core.errors import ApplicationError
from comrade.groups.models import ApprovalRequest, GroupMembers, PaymentGroups
from comrade.groups.services import (
    approval_request_or_run,
    group_approvals_required_set,
    group_close,
    group_leave,
    group_member_remove,
    group_member_role_set,
    group_payout,
    group_pot_pay,
    group_rotation_payout,
    group_rotation_set,
)
from comrade.groups.tests.approval_helpers import TREASURER, approve_all, council
from comrade.groups.tests.factories import GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db


def direct_calls(c, product):
    return {
        "payout": lambda: group_payout(group=c.group, admin=c.admin, member_user=c.member.pk, amount=Decimal("10")),
        "rotation_payout": lambda: group_rotation_payout(group=c.group, admin=c.admin, amount=Decimal("10")),
        "pot_pay": lambda: group_pot_pay(
            group=c.group,
            admin=c.admin,
            amount=Decimal("10"),
            credit_account_id=sales_account(payer_account_id=c.group.pot_id).pk,
            transaction_type="PURCHASE",
        ),
        "pot_purchase": lambda: product_purchase_from_pot(admin=c.admin, group=c.group, product=product, quantity=1),
        "close": lambda: group_close(group=c.group, admin=c.admin),
        "remove_member_with_balance": lambda: group_member_remove(group=c.group, admin=c.admin, user_id=c.member.pk),
        "remove_approver": lambda: group_member_remove(group=c.group, admin=c.admin, user_id=c.treasurer.pk),
        "demote_approver": lambda: group_member_role_set(
            group=c.group, admin=c.admin, user_id=c.treasurer.pk, role="MEMBER"
        ),
        "lower_approvals_required": lambda: group_approvals_required_set(
            group=c.group, admin=c.admin, approvals_required=1
        ),
    }


ROUTES = list(direct_calls(None, None))


@pytest.mark.parametrize("route", ROUTES)
def test_no_direct_call_moves_money_without_approval(make_user, unchanged, route):
    c = council(make_user, group_type="PURCHASE")
    GroupMemberFactory(group=c.group, user=make_user(), role=TREASURER)  # a demotion leaves enough approvers
    group_rotation_set(
        group=c.group,
        admin=c.admin,
        order=list(GroupMembers.objects.filter(group=c.group).values_list("user_id", flat=True)),
    )
    product = ProductFactory(price=Decimal("10.00"))
    sales_account(payer_account_id=c.group.pot_id)

    with unchanged(), pytest.raises(ApplicationError) as error:
        direct_calls(c, product)[route]()

    assert (error.value.code, error.value.status_code) == ("approval_required", 409)
    assert pot(c.group) == Decimal("300.00")


def test_an_approved_request_of_another_action_does_not_open_a_route(make_user, unchanged):
    c = council(make_user)
    close = approval_request_or_run(group=c.group, requester=c.admin, action="close", params={}).request
    ApprovalRequest.objects.filter(pk=close.pk).update(status="APPROVED")
    close.refresh_from_db()

    with unchanged(), pytest.raises(ApplicationError) as error:
        group_payout(
            group=c.group, admin=c.admin, member_user=c.member.pk, amount=Decimal("10"), approved_request=close
        )
    assert error.value.code == "approval_required"


def test_an_approved_pot_purchase_buys(make_user):
    c = council(make_user, group_type="PURCHASE")
    product = ProductFactory(price=Decimal("40.00"))
    request = approval_request_or_run(
        group=c.group, requester=c.admin, action="pot_purchase", params={"product_id": product.pk, "quantity": 2}
    ).request
    assert request.params == {"product_id": product.pk, "quantity": 2, "amount": "80.00"}

    request = approve_all(c, request)

    request.refresh_from_db()
    assert request.status == "EXECUTED"
    assert pot(c.group) == Decimal("220.00")
    purchase = Purchase.objects.get(group=c.group)
    assert (purchase.product, purchase.quantity, purchase.buyer) == (product, 2, c.admin)
    assert run_all() == []


def test_a_pot_purchase_whose_price_changed_fails(make_user):
    c = council(make_user, group_type="PURCHASE")
    product = ProductFactory(price=Decimal("40.00"))
    request = approval_request_or_run(
        group=c.group, requester=c.admin, action="pot_purchase", params={"product_id": product.pk, "quantity": 1}
    ).request
    product.price = Decimal("60.00")
    product.save()

    approve_all(c, request)

    request.refresh_from_db()
    assert (request.status, request.failure_code) == ("FAILED", "price_changed")
    assert pot(c.group) == Decimal("300.00")
    assert not Purchase.objects.exists()


def test_an_approved_rotation_payout_pays_the_next_member(make_user):
    c = council(make_user)
    group_rotation_set(group=c.group, admin=c.admin, order=[c.member.pk, c.admin.pk, c.treasurer.pk, c.treasurer2.pk])
    before = wallet(c.member)
    request = approval_request_or_run(
        group=c.group, requester=c.admin, action="rotation_payout", params={"amount": None}
    ).request

    approve_all(c, request)

    assert pot(c.group) == 0
    assert wallet(c.member) == before + Decimal("300.00")


def test_an_approved_close_refunds_everyone(make_user):
    c = council(make_user)
    member_before, admin_before = wallet(c.member), wallet(c.admin)
    request = approval_request_or_run(group=c.group, requester=c.admin, action="close", params={}).request

    approve_all(c, request)

    assert PaymentGroups.objects.get(pk=c.group.pk).is_closed
    assert (wallet(c.member), wallet(c.admin)) == (member_before + 200, admin_before + 100)
    assert run_all() == []


def test_removing_a_member_with_a_balance_waits_for_approval(make_user):
    c = council(make_user)
    before = wallet(c.member)
    request = approval_request_or_run(
        group=c.group, requester=c.admin, action="remove_member", params={"user_id": c.member.pk}
    ).request
    assert GroupMembers.objects.filter(group=c.group, user=c.member).exists()

    approve_all(c, request)

    assert not GroupMembers.objects.filter(group=c.group, user=c.member).exists()
    assert wallet(c.member) == before + Decimal("200.00")


def test_removing_a_member_without_a_balance_needs_no_approval(make_user):
    c = council(make_user)
    quiet = make_user()
    GroupMemberFactory(group=c.group, user=quiet)

    outcome = approval_request_or_run(
        group=c.group, requester=c.admin, action="remove_member", params={"user_id": quiet.pk}
    )

    assert outcome.request is None
    assert not GroupMembers.objects.filter(group=c.group, user=quiet).exists()


def test_demoting_an_approver_that_would_leave_too_few_is_refused(make_user, unchanged):
    c = council(make_user)  # three approvers, two approvals: one requester plus two others
    with unchanged(), pytest.raises(ApplicationError) as error:
        approval_request_or_run(
            group=c.group, requester=c.admin, action="set_role", params={"user_id": c.treasurer.pk, "role": "MEMBER"}
        )
    assert (error.value.code, error.value.fields.keys()) == ("too_few_approvers", {"role"})
    with unchanged(), pytest.raises(ApplicationError) as error:
        group_leave(group=c.group, user=c.treasurer)
    assert error.value.code == "too_few_approvers"


def test_an_approved_demotion_runs_and_a_promotion_needs_none(make_user):
    c = council(make_user)
    GroupMemberFactory(group=c.group, user=make_user(), role=TREASURER)
    request = approval_request_or_run(
        group=c.group, requester=c.admin, action="set_role", params={"user_id": c.treasurer.pk, "role": "MEMBER"}
    ).request
    approve_all(c, request, approvers=[c.treasurer, c.treasurer2])
    assert GroupMembers.objects.get(group=c.group, user=c.treasurer).role == "MEMBER"

    outcome = approval_request_or_run(
        group=c.group, requester=c.admin, action="set_role", params={"user_id": c.member.pk, "role": "TREASURER"}
    )
    assert outcome.request is None
    assert outcome.result.role == "TREASURER"


def test_a_member_leaving_takes_their_own_balance_without_approval(make_user):
    """Documented choice: leaving is the member's own right to their balance, not a decision of the group."""
    c = council(make_user)
    before = wallet(c.member)
    group_leave(group=c.group, user=c.member)
    assert wallet(c.member) == before + Decimal("200.00")
