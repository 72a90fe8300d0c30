"""Standing orders: create, preview, change, pause, resume and cancel."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from comrade.core.errors import ApplicationError, NotFound, field_error
from comrade.groups.models import PaymentGroups
from comrade.groups.services.common import ensure_accepting_contributions, require_member
from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.services.common import Run, Status, _finish, _schedule_from, _today

SCHEDULE_FIELDS = {"frequency", "start_date", "end_date"}
PAYEE_FIELDS = {"recipient_id", "group_id"}
ALL_FIELDS = SCHEDULE_FIELDS | PAYEE_FIELDS


def _recipient(recipient_id: int, user):
    recipient = get_user_model().objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        raise field_error("recipient", "No active user with this id.", code="unknown_recipient")
    if recipient.pk == user.pk:
        raise field_error("recipient", "A standing order cannot pay yourself.", code="self_payment")
    return recipient


def _group(group_id: int, user) -> PaymentGroups:
    """A group the user is a member of and that accepts contributions (the groups app's rules)."""
    group = PaymentGroups.objects.filter(pk=group_id).first()
    try:
        if group is None:
            raise NotFound()
        require_member(group, user)
        ensure_accepting_contributions(group)
    except NotFound:
        raise field_error("group", "No payment group of yours with this id.", "unknown_group") from None
    except ApplicationError as exc:
        raise field_error("group", exc.message, exc.code) from None
    return group


def _check_terms(*, order: StandingOrder, changed: set[str]) -> None:
    """The rules that are not a single field's shape. The start date and the payee are checked
    only when they are set or changed, so an order that started in the past can still be edited."""
    if order.payment_method != StandingOrder.PaymentMethod.INTERNAL:
        raise field_error(
            "payment_method", "Standing orders are paid from the Comrade Balance (INTERNAL) only.", "unsupported"
        )
    if "start_date" in changed and order.start_date < _today():
        raise field_error("start_date", "The start date cannot be in the past.", "date_in_past")
    if order.end_date is not None and order.end_date <= order.start_date:
        raise field_error("end_date", "The end date must be after the start date.", "end_before_start")
    _check_payee(order, changed)


def _check_payee(order: StandingOrder, changed: set[str]) -> None:
    if order.recipient_id is not None and order.group_id is not None:
        raise _payee_error("one_payee_only", "Give either a recipient or a group, not both.")
    if order.recipient_id is None and order.group_id is None:
        raise _payee_error("payee_required", "Give a recipient or a group.")
    if order.recipient_id is not None:
        if PAYEE_FIELDS & changed:
            _recipient(order.recipient_id, order.user)
        return
    if not (PAYEE_FIELDS | {"start_date"}) & changed:
        return
    group = _group(order.group_id, order.user)
    if group.deadline is not None and order.start_date > group.deadline:
        raise field_error("start_date", f"The group takes contributions until {group.deadline}.", "after_deadline")


def _payee_error(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"recipient": [message], "group": [message]})


def _resume_day(order: StandingOrder) -> date:
    """Periods already handled are never paid again, and periods that passed while the order was
    not active are not caught up."""
    last = order.executions.order_by("-scheduled_for").values_list("scheduled_for", flat=True).first()
    return max(_today(), last + timedelta(days=1)) if last else _today()


def standing_order_preview(
    *,
    user,
    amount: Decimal,
    frequency: str,
    start_date: date,
    recipient_id: int | None = None,
    group_id: int | None = None,
    end_date: date | None = None,
    description: str = "",
    payment_method: str = StandingOrder.PaymentMethod.INTERNAL,
) -> StandingOrder:
    """The order that `standing_order_create` would save, checked and scheduled but not saved:
    a review page shows it before the owner confirms. Raises what create raises."""
    order = StandingOrder(
        user=user,
        recipient_id=recipient_id,
        group_id=group_id,
        amount=amount,
        frequency=frequency,
        start_date=start_date,
        end_date=end_date,
        description=description,
        payment_method=payment_method,
    )
    _check_terms(order=order, changed=ALL_FIELDS)
    _schedule_from(order, start_date)
    return order


def standing_order_create(
    *,
    user,
    amount: Decimal,
    frequency: str,
    start_date: date,
    recipient_id: int | None = None,
    group_id: int | None = None,
    end_date: date | None = None,
    description: str = "",
    payment_method: str = StandingOrder.PaymentMethod.INTERNAL,
) -> StandingOrder:
    order = standing_order_preview(
        user=user,
        amount=amount,
        frequency=frequency,
        start_date=start_date,
        recipient_id=recipient_id,
        group_id=group_id,
        end_date=end_date,
        description=description,
        payment_method=payment_method,
    )
    order.save()
    return order


def _locked(order: StandingOrder) -> StandingOrder:
    return StandingOrder.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def standing_order_update(*, order: StandingOrder, data: dict) -> StandingOrder:
    """Change an order that is not cancelled or completed. A change of frequency or dates moves the
    next period to the new schedule's first one not yet handled and not in the past."""
    order = _locked(order)
    if order.status in (Status.CANCELLED, Status.COMPLETED):
        raise ApplicationError("order_closed", f"A {order.status} standing order cannot be changed.")
    changed = {name for name, value in data.items() if getattr(order, name) != value}
    for name in changed:
        setattr(order, name, data[name])
    _check_terms(order=order, changed=changed)
    if order.is_active and changed & SCHEDULE_FIELDS:
        _abandon_retry(order, "The standing order's schedule was changed.")
        _schedule_from(order, _resume_day(order))
    order.save()
    return order


@transaction.atomic
def standing_order_pause(*, order: StandingOrder) -> StandingOrder:
    order = _locked(order)
    if order.status != Status.ACTIVE:
        raise ApplicationError(
            "not_active", f"Only an ACTIVE standing order can be paused; this one is {order.status}."
        )
    _abandon_retry(order, "The standing order was paused.")
    _finish(order, Status.PAUSED)
    order.save()
    return order


@transaction.atomic
def standing_order_resume(*, order: StandingOrder) -> StandingOrder:
    """Resume a PAUSED or SUSPENDED order from its first period on or after today."""
    order = _locked(order)
    if order.status not in (Status.PAUSED, Status.SUSPENDED):
        raise ApplicationError(
            "not_paused", f"Only a PAUSED or SUSPENDED order can be resumed; this one is {order.status}."
        )
    _check_terms(order=order, changed=PAYEE_FIELDS)
    _schedule_from(order, _resume_day(order))
    if order.status == Status.COMPLETED:
        raise ApplicationError("schedule_ended", "No period is left before the end date; change the end date first.")
    order.save()
    return order


@transaction.atomic
def standing_order_cancel(*, order: StandingOrder) -> StandingOrder:
    """Cancel for good, keeping the order and its executions as history. Cancelling a cancelled or
    completed order changes nothing."""
    order = _locked(order)
    if order.status in (Status.CANCELLED, Status.COMPLETED):
        return order
    _abandon_retry(order, "The standing order was cancelled.")
    _finish(order, Status.CANCELLED)
    order.save()
    return order


def _abandon_retry(order: StandingOrder, reason: str) -> None:
    """A period whose payment failed and was waiting for a retry is given up."""
    if order.next_scheduled_for is not None:
        order.executions.filter(scheduled_for=order.next_scheduled_for, status=Run.FAILED).update(
            status=Run.SKIPPED, failure_reason=reason[:255]
        )


# --- executing ---------------------------------------------------------------------------------
