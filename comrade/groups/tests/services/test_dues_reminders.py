from datetime import timedelta

import pytest
from django.core import mail

from comrade.groups.models import DuesObligation
from comrade.groups.services.dues_reminders import dues_reminders_send
from comrade.groups.tests.dues_helpers import at, run_job, set_dues, today

pytestmark = pytest.mark.django_db


def send(days: int) -> int:
    return dues_reminders_send(now=at(today() + timedelta(days=days)))


def test_reminder_before_the_due_date_is_sent_once(group, admin, member, django_capture_on_commit_callbacks):
    set_dues(group, admin, "10.00", frequency="WEEKLY", remind_days_before=2)
    run_job()
    run_job(days_from_today=5)  # creates week 1 two days ahead of its due date

    with django_capture_on_commit_callbacks(execute=True):
        assert send(0) == 2  # week 0, due today
        assert send(0) == 0
        assert send(5) == 2  # week 1, due in two days
        assert send(6) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin.email, member.email] * 2)
    assert not DuesObligation.objects.filter(reminded_before_at__isnull=True).exists()


def test_arrears_reminder_only_when_configured_and_only_once(group, admin, member, django_capture_on_commit_callbacks):
    set_dues(group, admin, "10.00", grace_days=1)
    run_job()
    with django_capture_on_commit_callbacks(execute=True):
        assert send(5) == 0
    set_dues(group, admin, "10.00", grace_days=1, remind_on_arrears=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert send(1) == 0  # within grace
        assert send(2) == 2
        assert send(3) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin.email, member.email])
    assert "arrears" in mail.outbox[0].subject
