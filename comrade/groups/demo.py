"""Demo data: Alice's savings group "Team Vacation 2026" with Bob as a member and one INTERNAL
contribution from each, made through the services (safe to run again)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.groups.services import group_contribute, group_create
from comrade.groups.services.common import lock_group
from comrade.groups.services.members import member_add

NAME = "Team Vacation 2026"
CONTRIBUTIONS = {"alice": Decimal("100.00"), "bob": Decimal("50.00")}


def seed(users: dict) -> None:
    alice, bob = users["alice"], users["bob"]
    if PaymentGroups.objects.filter(admin=alice, name=NAME).exists():
        return
    with transaction.atomic():
        _seed_group(alice, bob, users)


def _seed_group(alice, bob, users: dict) -> None:
    group = group_create(
        admin=alice,
        name=NAME,
        group_type=PaymentGroups.GroupType.SAVINGS,
        description="Group savings for summer trip",
        target_amount=Decimal("5000.00"),
        deadline=timezone.localdate() + timedelta(days=180),
    )
    member_add(group=lock_group(group), user=bob, role=GroupMembers.Role.MEMBER)
    for name, amount in CONTRIBUTIONS.items():
        group_contribute(group=group, user=users[name], amount=amount, description="Demo contribution")
