"""The approvals endpoints through HTTP: requests instead of payouts (202), deciding, access
(other users' groups 404, non-approvers 403) and errors naming the field."""

from decimal import Decimal

import pytest

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import ProductFactory
from comrade.groups.models import ApprovalRequest, GroupMembers, PaymentGroups
from comrade.groups.tests.approval_helpers import council
from comrade.groups.tests.helpers import pot, wallet

pytestmark = pytest.mark.django_db
BASE = "/payments/payment-groups/"


def url(group, action: str) -> str:
    return f"{BASE}{group.pk}/{action}/"


def test_a_payout_answers_202_with_the_pending_request(make_user, client_for):
    c = council(make_user)
    body = {"user_id": c.member.pk, "amount": "50.00", "description": "Fees"}

    response = client_for(c.admin).post(url(c.group, "payout"), body, format="json")

    assert response.status_code == 202, response.data
    assert (response.data["status"], response.data["action"], response.data["approvals_required"]) == (
        "PENDING",
        "payout",
        2,
    )
    assert response.data["params"] == {"user_id": c.member.pk, "amount": "50.00", "description": "Fees"}
    assert pot(c.group) == Decimal("300.00")


def test_two_approvals_pay_and_every_decision_is_listed(make_user, client_for):
    c = council(make_user)
    request_id = (
        client_for(c.admin)
        .post(url(c.group, "payout"), {"user_id": c.member.pk, "amount": "50.00"}, format="json")
        .data["id"]
    )
    before = wallet(c.member)

    first = client_for(c.treasurer).post(url(c.group, f"approvals/{request_id}/approve"), {"reason": "Agreed"})
    second = client_for(c.treasurer2).post(url(c.group, f"approvals/{request_id}/approve"), {})

    assert (first.status_code, first.data["status"], first.data["approvals"]) == (200, "PENDING", 1)
    assert (second.status_code, second.data["status"]) == (200, "EXECUTED")
    assert [(d["approver"]["id"], d["decision"], d["reason"]) for d in second.data["decisions"]] == [
        (c.treasurer.pk, "APPROVE", "Agreed"),
        (c.treasurer2.pk, "APPROVE", ""),
    ]
    assert all(d["decided_at"] for d in second.data["decisions"])
    assert wallet(c.member) == before + Decimal("50.00")
    listed = client_for(c.member).get(url(c.group, "approvals"), {"status": "EXECUTED"})
    assert [r["id"] for r in listed.data["results"]] == [request_id]


@pytest.mark.parametrize("action", ["rotation_payout", "close"])
def test_other_money_routes_answer_202(make_user, client_for, action):
    c = council(make_user)
    GroupMembers.objects.filter(group=c.group).update(payout_position=1)

    response = client_for(c.admin).post(url(c.group, action), {}, format="json")

    assert (response.status_code, response.data["action"]) == (202, action)
    assert pot(c.group) == Decimal("300.00")
    assert not PaymentGroups.objects.get(pk=c.group.pk).is_closed


def test_removing_a_member_with_a_balance_answers_202(make_user, client_for):
    c = council(make_user)
    response = client_for(c.admin).post(url(c.group, "remove_member"), {"user_id": c.member.pk}, format="json")
    assert (response.status_code, response.data["action"]) == (202, "remove_member")
    assert GroupMembers.objects.filter(group=c.group, user=c.member).exists()


def test_a_pot_purchase_through_commerce_answers_202_with_the_pending_request(make_user, client_for):
    c = council(make_user, group_type="PURCHASE")
    product = ProductFactory(price=Decimal("10.00"))

    response = client_for(c.admin).post(
        f"/payments/products/{product.pk}/purchase/", {"group_id": c.group.pk, "quantity": 1}, format="json"
    )

    assert response.status_code == 202, response.data
    assert (response.data["action"], response.data["status"]) == ("pot_purchase", "PENDING")
    assert response.data["params"] == {"product_id": product.pk, "quantity": 1, "amount": "10.00"}
    assert pot(c.group) == Decimal("300.00") and not Purchase.objects.exists()


def test_post_creates_a_request_for_a_pot_purchase(make_user, client_for):
    c = council(make_user, group_type="PURCHASE")
    product = ProductFactory(price=Decimal("10.00"))
    body = {"action": "pot_purchase", "params": {"product_id": product.pk, "quantity": 3}}

    response = client_for(c.admin).post(url(c.group, "approvals"), body, format="json")

    assert response.status_code == 201, response.data
    assert response.data["params"] == {"product_id": product.pk, "quantity": 3, "amount": "30.00"}


def test_post_validates_the_params_of_the_action(make_user, client_for):
    c = council(make_user)
    body = {"action": "payout", "params": {"user_id": c.member.pk}}

    response = client_for(c.admin).post(url(c.group, "approvals"), body, format="json")

    assert response.status_code == 400
    assert "amount" in response.data["fields"]["params"]
    assert not ApprovalRequest.objects.exists()


@pytest.fixture
def pending(make_user, client_for):
    c = council(make_user)
    request_id = client_for(c.admin).post(url(c.group, "close"), {}, format="json").data["id"]
    return c, request_id


def test_access_and_refusals(pending, make_user, client_for):
    c, request_id = pending
    approve = url(c.group, f"approvals/{request_id}/approve")

    outsider = client_for(make_user())
    assert outsider.get(url(c.group, "approvals")).status_code == 404
    assert outsider.post(approve, {}).status_code == 404
    assert client_for(c.member).post(approve, {}).data["code"] == "not_group_approver"
    assert client_for(c.member).post(approve, {}).status_code == 403
    assert client_for(c.member).post(url(c.group, "approvals"), {"action": "close"}, format="json").status_code == 403
    own = client_for(c.admin).post(approve, {})
    assert (own.status_code, own.data["code"]) == (400, "own_request")
    twice = client_for(c.treasurer)
    GroupMembers.objects.create(group=c.group, user=make_user(), role="TREASURER")
    PaymentGroups.objects.filter(pk=c.group.pk).update(approvals_required=3)
    assert twice.post(approve, {}).status_code == 200
    again = twice.post(approve, {})
    assert (again.status_code, again.data["code"]) == (400, "already_decided")
    missing = client_for(c.treasurer2).post(url(c.group, "approvals/999999/approve"), {})
    assert missing.status_code == 404
    assert not PaymentGroups.objects.get(pk=c.group.pk).is_closed


def test_reject_needs_a_reason(pending, client_for):
    c, request_id = pending
    reject = url(c.group, f"approvals/{request_id}/reject")

    bad = client_for(c.treasurer).post(reject, {})
    good = client_for(c.treasurer).post(reject, {"reason": "We keep saving"})

    assert (bad.status_code, list(bad.data["fields"])) == (400, ["reason"])
    assert (good.status_code, good.data["status"], good.data["decisions"][0]["reason"]) == (
        200,
        "REJECTED",
        "We keep saving",
    )


def test_a_bad_status_filter_names_the_field(pending, client_for):
    c, _ = pending
    response = client_for(c.member).get(url(c.group, "approvals"), {"status": "NOPE"})
    assert (response.status_code, list(response.data["fields"])) == (400, ["status"])


@pytest.mark.parametrize(("value", "code"), [(3, "too_few_approvers"), (5, "validation_error")])
def test_approvals_required_out_of_reach_names_the_field(make_user, client_for, value, code):
    c = council(make_user, approvals_required=1)
    response = client_for(c.admin).post(url(c.group, "approvals_required"), {"approvals_required": value})
    assert (response.status_code, response.data["code"], list(response.data["fields"])) == (
        400,
        code,
        ["approvals_required"],
    )
    assert PaymentGroups.objects.get(pk=c.group.pk).approvals_required == 1


def test_raising_approvals_required_and_the_group_shows_it(make_user, client_for):
    c = council(make_user, approvals_required=1)
    response = client_for(c.admin).post(url(c.group, "approvals_required"), {"approvals_required": 2})
    assert (response.status_code, response.data["approvals_required"]) == (200, 2)
    lower = client_for(c.admin).post(url(c.group, "approvals_required"), {"approvals_required": 1})
    assert (lower.status_code, lower.data["action"]) == (202, "set_approvals_required")
