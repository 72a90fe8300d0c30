"""History of staff flags (django-pghistory, PostgreSQL only): who made whom staff, and when."""

import pghistory
import pytest

from comrade.accounts.models import UserAccessEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_granting_staff_keeps_the_old_and_new_flags_and_who_granted_them(make_user):
    operator, user = make_user(is_staff=True), make_user()
    with pghistory.context(user=operator.pk):
        user.is_staff = True
        user.save()

    events = list(UserAccessEvent.objects.filter(pgh_obj=user).order_by("pgh_id"))
    assert [(e.pgh_label, e.is_staff) for e in events] == [("insert", False), ("update", True)]
    assert events[1].pgh_context.metadata == {"user": operator.pk}


def test_a_login_or_a_name_change_is_not_a_staff_change(make_user):
    user = make_user()
    user.first_name = "Renamed"
    user.set_password("another-secret-1")
    user.save()
    assert list(UserAccessEvent.objects.filter(pgh_obj=user).values_list("pgh_label", flat=True)) == ["insert"]
