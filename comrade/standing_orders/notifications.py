"""Emails to an order's owner when a period could not be paid. Sent after the database transaction
commits (never while the order row is locked), and a mail server that fails is logged, not raised."""

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from comrade.standing_orders.models import StandingOrder, StandingOrderExecution


def _payee(order: StandingOrder) -> str:
    return str(order.recipient) if order.recipient_id else f"the group {order.group}"


def _send(order: StandingOrder, subject: str, lines: list[str]) -> None:
    link = f"{settings.SITE_URL}/payments/standing-orders/{order.pk}/"
    body = "\n\n".join([*lines, f"Your standing order: {link}"])
    recipient = order.user.email
    transaction.on_commit(
        lambda: send_mail(f"[Comrade Pay] {subject}", body, settings.DEFAULT_FROM_EMAIL, [recipient]), robust=True
    )


def payment_failed(execution: StandingOrderExecution, *, retry_at: datetime) -> None:
    order = execution.order
    _send(
        order,
        f"Standing order #{order.pk}: payment of {order.amount} failed",
        [
            f"The payment of {order.amount} to {_payee(order)} due on {execution.scheduled_for} failed: "
            f"{execution.failure_reason}",
            f"We will try again at {retry_at:%Y-%m-%d %H:%M} UTC, up to {settings.STANDING_ORDER_MAX_RETRIES} times.",
        ],
    )


def period_skipped(execution: StandingOrderExecution) -> None:
    order = execution.order
    _send(
        order,
        f"Standing order #{order.pk}: payment due on {execution.scheduled_for} skipped",
        [
            f"The payment of {order.amount} to {_payee(order)} due on {execution.scheduled_for} was not made. "
            f"{execution.failure_reason}",
            "The standing order stays active and the next period will be paid as usual.",
        ],
    )


def order_suspended(order: StandingOrder, execution: StandingOrderExecution) -> None:
    _send(
        order,
        f"Standing order #{order.pk} suspended",
        [
            f"The payment of {order.amount} to {_payee(order)} due on {execution.scheduled_for} failed: "
            f"{execution.failure_reason}",
            "The standing order was suspended and will not run again until you resume or change it.",
        ],
    )
