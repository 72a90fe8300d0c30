"""History of group roles and settings (django-pghistory, PostgreSQL only), for disputes."""

import pghistory
import pytest

from comrade.groups.models import GroupMemberEvent, GroupMembers, PaymentGroupEvent, PaymentGroups
from comrade.groups.tests.test_api_groups import url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_role_change_keeps_the_old_and_new_role_and_who_made_it(client_for, admin, group, member):
    response = client_for(admin).post(url(group, "set_role"), {"user_id": member.pk, "role": "TREASURER"})
    assert response.status_code == 200, response.data

    membership = GroupMembers.objects.get(group=group, user=member)
    events = list(GroupMemberEvent.objects.filter(pgh_obj=membership).order_by("pgh_id"))
    assert [(e.pgh_label, e.role) for e in events] == [("insert", "MEMBER"), ("update", "TREASURER")]
    assert events[1].pgh_context.metadata["user"] == admin.pk


def test_settings_changes_are_kept_but_money_totals_are_not(group, admin, member):
    with pghistory.context(user=admin.pk):
        PaymentGroups.objects.filter(pk=group.pk).update(is_open=True, approvals_required=2)
    GroupMembers.objects.filter(group=group, user=member).update(total_contributed=5)

    last = PaymentGroupEvent.objects.filter(pgh_obj=group).latest("pgh_id")
    assert (last.pgh_label, last.is_open, last.approvals_required) == ("update", True, 2)
    assert last.pgh_context.metadata == {"user": admin.pk}
    assert GroupMemberEvent.objects.filter(pgh_obj__user=member, pgh_label="update").count() == 0
