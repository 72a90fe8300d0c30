"""Approval requests in words ("Pay USD 50.00 to Bob Mwangi"), for the group page."""

from django.contrib.auth import get_user_model

from comrade.groups.models import ApprovalRequest
from comrade.web.templatetags.money import money

Action = ApprovalRequest.Action


def _person(user_id) -> str:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return "a former member"
    return user.get_full_name() or user.email


def describe_request(request: ApprovalRequest) -> str:
    p = request.params
    currency = request.group.currency
    if request.action == Action.PAYOUT:
        return f"Pay {money(p['amount'], currency)} to {_person(p['user_id'])}"
    if request.action == Action.ROTATION_PAYOUT:
        amount = money(p["amount"], currency) if p.get("amount") else "the whole pot"
        return f"Rotation payout of {amount} to the next member in the order"
    if request.action == Action.CLOSE:
        return "Close the group and refund the pot to the members"
    if request.action == Action.REMOVE_MEMBER:
        return f"Remove {_person(p['user_id'])} (their balance is refunded to them)"
    if request.action == Action.SET_ROLE:
        return f"Make {_person(p['user_id'])} a {p['role'].lower()}"
    if request.action == Action.SET_APPROVALS_REQUIRED:
        return f"Require {p['approvals_required']} approvals"
    if request.action == Action.POT_PURCHASE:
        return f"Buy product {p['product_id']} (quantity {p['quantity']}) from the pot"
    return request.get_action_display()
