"""Factories for groups. PaymentGroupFactory gives the group its pot and makes its admin an ADMIN
member; GroupMemberFactory adds members without the tier limits (bulk setups)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from comrade.accounts.tests.factories import UserFactory
from comrade.groups.models import GroupInvitation, GroupMembers, GroupTarget, PaymentGroups
from comrade.ledger.models import LedgerAccount
from comrade.ledger.services import system_account


def new_pot() -> LedgerAccount:
    return system_account(LedgerAccount.Kind.GROUP_POT, uuid.uuid4().hex, allow_negative=False)


class PaymentGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentGroups
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Group {n}")
    admin = factory.SubFactory(UserFactory)
    group_type = PaymentGroups.GroupType.SAVINGS
    pot = factory.LazyFunction(new_pot)

    @factory.post_generation
    def admin_membership(group, create, extracted, **kwargs):
        if create:
            GroupMembers.objects.create(group=group, user=group.admin, role=GroupMembers.Role.ADMIN)


class GroupMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMembers

    group = factory.SubFactory(PaymentGroupFactory)
    user = factory.SubFactory(UserFactory)
    role = GroupMembers.Role.MEMBER


class GroupTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupTarget

    group = factory.SubFactory(PaymentGroupFactory)
    name = factory.Sequence(lambda n: f"Target {n}")
    target_amount = Decimal("100.00")


class GroupInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupInvitation

    group = factory.SubFactory(PaymentGroupFactory)
    inviter = factory.LazyAttribute(lambda o: o.group.admin)
    invitee_email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
