"""Approvals: with `approvals_required` above 1, money leaves a group's pot only as the group
decided. Payouts, rotation payouts, pot purchases, closing the group, removing a member who holds
a balance (or an approver), demoting an approver and lowering `approvals_required` become
ApprovalRequests; ADMINs and TREASURERs other than the requester approve or reject them.

Invariant: the services that do these things refuse (409 `approval_required`) unless they are
called with an APPROVED request of the group for that action and exactly those params, which
they consume under the group lock (`common.ensure_approved`). This module is the only caller that
passes one: when the last approval arrives, `approval_approve` runs the action in the same
database transaction, with the service's own checks. A failing action leaves the request FAILED
(its code and reason kept) and moves nothing; the decisions are kept either way."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from comrade.core.errors import ApplicationError, NotFound, field_error
from comrade.groups.models import ApprovalDecision, ApprovalRequest, GroupMembers, PaymentGroups
from comrade.groups.services.common import (
    approvals_needed,
    approvers_count,
    ensure_enough_approvers,
    ensure_not_closed,
    lock_group,
    member_of,
    money_param,
    require_admin,
    require_approver,
    require_member,
)
from comrade.groups.services.groups import group_approvals_required_set, group_close
from comrade.groups.services.members import (
    demotion,
    group_member_remove,
    group_member_role_set,
    removal_needs_approval,
)
from comrade.groups.services.pot import group_payout, group_rotation_payout, pot_balance
from comrade.ledger.models import TransactionToken

Action = ApprovalRequest.Action
Status = ApprovalRequest.Status
Decision = ApprovalDecision.Decision


@dataclass(frozen=True)
class Outcome:
    """Either the request that now waits for approvals, or what the action returned."""

    request: ApprovalRequest | None = None
    result: Any = None


@dataclass(frozen=True)
class _Spec:
    canonical: Callable[[dict], dict]
    needed: Callable[[PaymentGroups, dict], bool]
    check: Callable[[PaymentGroups, dict], dict]
    run: Callable[..., Any]


def approval_request_or_run(*, group: PaymentGroups, requester, action: str, params: dict) -> Outcome:
    """The entry points' one call for an action that may need approvals: run it now when the
    group does not require them (exactly today's behaviour), else record a PENDING request."""
    spec = SPECS[action]
    params = spec.canonical(params)
    with transaction.atomic():
        group = lock_group(group)
        if approvals_needed(group):
            require_admin(group, requester)
            if spec.needed(group, params):
                return Outcome(request=_request_create(group, requester, action, spec.check(group, params)))
        return Outcome(result=spec.run(group, requester, params, None))


def approval_request_create(*, group: PaymentGroups, requester, action: str, params: dict) -> ApprovalRequest:
    """An explicit request (POST .../approvals/): refused when the action needs no approval."""
    spec = SPECS[action]
    params = spec.canonical(params)
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, requester)
        if not (approvals_needed(group) and spec.needed(group, params)):
            raise field_error("action", "This needs no approval in this group; do it directly.", "approval_not_needed")
        return _request_create(group, requester, action, spec.check(group, params))


def _request_create(group: PaymentGroups, requester, action: str, params: dict) -> ApprovalRequest:
    ensure_enough_approvers(group, approvers=approvers_count(group), required=group.approvals_required, field="action")
    expires_at = timezone.now() + timedelta(hours=settings.GROUP_APPROVAL_EXPIRY_HOURS)
    return ApprovalRequest.objects.create(
        group=group, action=action, params=params, requested_by=requester, expires_at=expires_at
    )


def approval_approve(*, group: PaymentGroups, approver, request_id: int, reason: str = "") -> ApprovalRequest:
    """Record an approval; the last one needed runs the action, in this database transaction."""
    with transaction.atomic():
        group, request = _decidable(group, approver, request_id)
        if request.status == Status.PENDING:
            _decision_add(request, approver, Decision.APPROVE, reason)
            if request.decisions.filter(decision=Decision.APPROVE).count() >= group.approvals_required:
                _execute(group, request)
    return _unless_expired(request)


def approval_reject(*, group: PaymentGroups, approver, request_id: int, reason: str) -> ApprovalRequest:
    """Any approver's rejection ends the request; the reason is required and kept."""
    if not reason.strip():
        raise field_error("reason", "Say why you reject the request.", "reason_required")
    with transaction.atomic():
        group, request = _decidable(group, approver, request_id)
        if request.status == Status.PENDING:
            _decision_add(request, approver, Decision.REJECT, reason)
            _finish(request, Status.REJECTED)
    return _unless_expired(request)


def approvals_expire(now: datetime) -> int:
    """The "expire_group_approvals" job: PENDING requests past their time become EXPIRED."""
    return ApprovalRequest.objects.filter(status=Status.PENDING, expires_at__lte=now).update(
        status=Status.EXPIRED, decided_at=now
    )


def _decidable(group: PaymentGroups, approver, request_id: int) -> tuple[PaymentGroups, ApprovalRequest]:
    """Lock (the buyer of a pot purchase first, as every purchase route does; then the group;
    then the request) and check who may decide. A request past its time is marked EXPIRED here."""
    _lock_purchase_buyer(group, request_id)
    group = lock_group(group)
    require_member(group, approver)
    request = ApprovalRequest.objects.select_for_update().filter(group=group, pk=request_id).first()
    if request is None:
        raise NotFound("No such approval request.")
    require_approver(group, approver)
    if request.status == Status.PENDING and request.expires_at <= timezone.now():
        _finish(request, Status.EXPIRED)
        return group, request
    if request.status != Status.PENDING:
        raise _not_pending(request)
    if request.requested_by_id == approver.pk:
        raise ApplicationError("own_request", "You cannot approve or reject your own request.")
    if request.decisions.filter(approver=approver).exists():
        raise ApplicationError("already_decided", "You have already decided on this request.")
    return group, request


def _lock_purchase_buyer(group: PaymentGroups, request_id: int) -> None:
    buyer = (
        ApprovalRequest.objects.filter(group=group, pk=request_id, action=Action.POT_PURCHASE)
        .values_list("requested_by_id", flat=True)
        .first()
    )
    if buyer is not None:
        get_user_model().objects.select_for_update(no_key=True).values_list("pk", flat=True).get(pk=buyer)


def _not_pending(request: ApprovalRequest) -> ApplicationError:
    if request.status == Status.EXPIRED:
        return ApplicationError("request_expired", "This request has expired.")
    return ApplicationError("request_not_pending", f"This request is already {request.status.lower()}.")


def _unless_expired(request: ApprovalRequest) -> ApprovalRequest:
    """Raised after the atomic block, so the EXPIRED mark is kept."""
    if request.status == Status.EXPIRED:
        raise _not_pending(request)
    return request


def _decision_add(request: ApprovalRequest, approver, decision: str, reason: str) -> None:
    try:
        with transaction.atomic():
            ApprovalDecision.objects.create(request=request, approver=approver, decision=decision, reason=reason)
    except IntegrityError as exc:
        raise ApplicationError("already_decided", "You have already decided on this request.") from exc


def _finish(request: ApprovalRequest, status: str, *, code: str = "", reason: str = "", result=None) -> None:
    request.status = status
    request.failure_code = code
    request.failure_reason = reason
    request.result = result or {}
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "failure_code", "failure_reason", "result", "decided_at"])


def _execute(group: PaymentGroups, request: ApprovalRequest) -> None:
    """Run the approved action with the service's own checks. Its failure rolls back everything
    it did (in a savepoint) and leaves the request FAILED, the approvals recorded."""
    _finish(request, Status.APPROVED)
    try:
        with transaction.atomic():
            result = SPECS[request.action].run(group, request.requested_by, request.params, request)
    except ApplicationError as exc:
        _finish(request, Status.FAILED, code=exc.code, reason=exc.message)
        return
    failed = [t for t in _transactions(result) if t.status != TransactionToken.Status.COMPLETED]
    if failed:
        _finish(request, Status.FAILED, code="payment_failed", reason=failed[0].failure_reason)
        return
    _finish(request, Status.EXECUTED, result={"transactions": [t.pk for t in _transactions(result)]})


def _transactions(result) -> list[TransactionToken]:
    if isinstance(result, TransactionToken):
        return [result]
    if isinstance(result, list):
        return [t for t in result if isinstance(t, TransactionToken)]
    return [result.transaction] if hasattr(result, "transaction") else []


# --- the actions: canonical params, when approval is needed, request-time checks, execution ---


def _always(group: PaymentGroups, params: dict) -> bool:
    return True


def _positive(amount: str | None, field: str = "amount") -> None:
    if amount is not None and Decimal(amount) <= 0:
        raise field_error(field, "The amount must be positive.", "invalid_amount")


def _covered_by_pot(group: PaymentGroups, amount: str | None) -> None:
    balance = pot_balance(group)
    if balance <= 0 or (amount is not None and Decimal(amount) > balance):
        raise field_error("amount", f"The pot holds {balance}.", "insufficient_funds")


def _payout_check(group: PaymentGroups, params: dict) -> dict:
    ensure_not_closed(group)
    member_of(group, params["user_id"])
    _positive(params["amount"])
    _covered_by_pot(group, params["amount"])
    return params


def _rotation_check(group: PaymentGroups, params: dict) -> dict:
    ensure_not_closed(group)
    if not GroupMembers.objects.filter(group=group, payout_position__isnull=False).exists():
        raise ApplicationError("rotation_not_set", "Set the payout order first.")
    _positive(params["amount"])
    _covered_by_pot(group, params["amount"])
    return params


def _product(params: dict):
    from comrade.commerce.models import Product

    product = Product.objects.filter(pk=params["product_id"]).first()
    if product is None or not product.is_available:
        raise field_error("product_id", "This product is not available.", "product_unavailable")
    return product


def _purchase_check(group: PaymentGroups, params: dict) -> dict:
    from comrade.commerce.services.purchases import MAX_QUANTITY

    ensure_not_closed(group)
    if group.group_type != PaymentGroups.GroupType.PURCHASE:
        raise field_error("group_id", "Only a PURCHASE group's pot can buy products.", "not_a_purchase_group")
    if not 1 <= params["quantity"] <= MAX_QUANTITY:
        raise field_error("quantity", f"Quantity must be between 1 and {MAX_QUANTITY}.", "invalid_quantity")
    amount = money_param(_product(params).price * params["quantity"])
    _covered_by_pot(group, amount)
    return {**params, "amount": amount}


def _purchase_run(group: PaymentGroups, requester, params: dict, request):
    """The product's price at execution must still be the one the approvers saw."""
    from comrade.commerce.services.purchases import product_purchase_from_pot

    product = _product(params)
    if request is not None and money_param(product.price * params["quantity"]) != params["amount"]:
        raise ApplicationError("price_changed", "The product's price changed since the request was made.")
    return product_purchase_from_pot(
        admin=requester, group=group, product=product, quantity=params["quantity"], approved_request=request
    )


def _close_check(group: PaymentGroups, params: dict) -> dict:
    ensure_not_closed(group)
    return params


def _removal_needed(group: PaymentGroups, params: dict) -> bool:
    return removal_needs_approval(member_of(group, params["user_id"]))


def _removal_check(group: PaymentGroups, params: dict) -> dict:
    membership = member_of(group, params["user_id"])
    if membership.user_id == group.admin_id:
        raise ApplicationError("cannot_remove_owner", "The group's owner cannot be removed.")
    return params


def _role_needed(group: PaymentGroups, params: dict) -> bool:
    return demotion(member_of(group, params["user_id"]), params["role"])


def _role_check(group: PaymentGroups, params: dict) -> dict:
    ensure_not_closed(group)
    membership = member_of(group, params["user_id"])
    if membership.user_id == group.admin_id:
        raise ApplicationError("owner_role_fixed", "The group's owner is always an admin.")
    ensure_enough_approvers(
        group, approvers=approvers_count(group) - 1, required=group.approvals_required, field="role"
    )
    return params


def _lowering(group: PaymentGroups, params: dict) -> bool:
    return params["approvals_required"] < group.approvals_required


def _approvals_required_check(group: PaymentGroups, params: dict) -> dict:
    ensure_not_closed(group)
    return params


def _amount(params: dict) -> Decimal | None:
    return None if params["amount"] is None else Decimal(params["amount"])


SPECS: dict[str, _Spec] = {
    Action.PAYOUT: _Spec(
        canonical=lambda p: {
            "user_id": p["user_id"],
            "amount": money_param(p["amount"]),
            "description": p.get("description", ""),
        },
        needed=_always,
        check=_payout_check,
        run=lambda group, user, p, request: group_payout(
            group=group,
            admin=user,
            member_user=p["user_id"],
            amount=Decimal(p["amount"]),
            description=p["description"],
            approved_request=request,
        ),
    ),
    Action.ROTATION_PAYOUT: _Spec(
        canonical=lambda p: {"amount": money_param(p.get("amount"))},
        needed=_always,
        check=_rotation_check,
        run=lambda group, user, p, request: group_rotation_payout(
            group=group, admin=user, amount=_amount(p), approved_request=request
        ),
    ),
    Action.POT_PURCHASE: _Spec(
        canonical=lambda p: {"product_id": p["product_id"], "quantity": p["quantity"]},
        needed=_always,
        check=_purchase_check,
        run=_purchase_run,
    ),
    Action.CLOSE: _Spec(
        canonical=lambda p: {},
        needed=_always,
        check=_close_check,
        run=lambda group, user, p, request: group_close(group=group, admin=user, approved_request=request),
    ),
    Action.REMOVE_MEMBER: _Spec(
        canonical=lambda p: {"user_id": p["user_id"]},
        needed=_removal_needed,
        check=_removal_check,
        run=lambda group, user, p, request: group_member_remove(
            group=group, admin=user, user_id=p["user_id"], approved_request=request
        ),
    ),
    Action.SET_ROLE: _Spec(
        canonical=lambda p: {"user_id": p["user_id"], "role": p["role"]},
        needed=_role_needed,
        check=_role_check,
        run=lambda group, user, p, request: group_member_role_set(
            group=group, admin=user, user_id=p["user_id"], role=p["role"], approved_request=request
        ),
    ),
    Action.SET_APPROVALS_REQUIRED: _Spec(
        canonical=lambda p: {"approvals_required": p["approvals_required"]},
        needed=_lowering,
        check=_approvals_required_check,
        run=lambda group, user, p, request: group_approvals_required_set(
            group=group, admin=user, approvals_required=p["approvals_required"], approved_request=request
        ),
    ),
}
