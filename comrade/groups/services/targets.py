"""Group targets (piggy banks): goals inside a group whose `current_amount` is the part of the
pot allocated to them. Contributing to a target is a group contribution with `target` set
(services.contributions.group_contribute)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from comrade.core.errors import field_error
from comrade.groups.models import GroupTarget, PaymentGroups
from comrade.groups.services.common import ensure_not_closed, lock_group, require_admin


def target_create(
    *,
    group: PaymentGroups,
    admin,
    name: str,
    target_amount: Decimal,
    description: str = "",
    target_date: date | None = None,
) -> GroupTarget:
    if target_date is not None and target_date < timezone.localdate():
        raise field_error("target_date", "The target date cannot be in the past.", code="target_date_in_past")
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        return GroupTarget.objects.create(
            group=group, name=name, description=description, target_amount=target_amount, target_date=target_date
        )
