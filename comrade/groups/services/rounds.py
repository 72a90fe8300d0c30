"""Rotation that waits for a full round: with `rotation_requires_full_round` on, a rotation
payout is refused until every current member has paid their dues for the current period (and
every earlier one). `rotation_auto` lets the scheduler pay the next member once the round is
complete (services/rotation_auto.py)."""

from django.db import transaction

from comrade.core.errors import ApplicationError, field_error
from comrade.groups.dues_selectors import round_state
from comrade.groups.models import DuesSchedule, PaymentGroups
from comrade.groups.services.common import ensure_not_closed, lock_group, require_admin


def ensure_round_complete(group: PaymentGroups) -> None:
    """For callers holding the group lock (the dues it reads are written under that lock)."""
    if not group.rotation_requires_full_round:
        return
    state = round_state(group)
    if state.complete:
        return
    if state.period_start is None:
        message = "No dues period has started yet, so no round is complete."
    else:
        message = f"The round of {state.period_start} is not complete: some members still owe their dues."
    raise ApplicationError(
        "round_not_complete",
        message,
        extra={"missing": [{"user_id": m.user_id, "email": m.email, "amount": str(m.amount)} for m in state.missing]},
    )


def rotation_settings_set(
    *, group: PaymentGroups, admin, requires_full_round: bool | None = None, auto: bool | None = None
) -> PaymentGroups:
    """Turn the full-round rule and the automatic payout on or off. Both need a dues schedule,
    since a round is a dues period."""
    with transaction.atomic():
        group = lock_group(group)
        require_admin(group, admin)
        ensure_not_closed(group)
        changes = {"rotation_requires_full_round": requires_full_round, "rotation_auto": auto}
        changes = {name: value for name, value in changes.items() if value is not None}
        if any(changes.values()) and not DuesSchedule.objects.filter(group=group).exists():
            name = next(name for name, value in changes.items() if value)
            raise field_error(name, "Set a dues schedule first: a round is a dues period.", "dues_schedule_required")
        for name, value in changes.items():
            setattr(group, name, value)
        group.save(update_fields=[*changes, "updated_at"])
        return group
