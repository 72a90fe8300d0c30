"""Standing orders that contribute to a payment group (the monthly savings contribution)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.groups.models import Contribution, GroupMembers, PaymentGroups
from comrade.groups.services import group_create
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount
from comrade.ledger.selectors import balance_of
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.standing_orders.services import standing_order_pause, standing_order_resume, standing_orders_execute_due
from comrade.standing_orders.tests.factories import StandingOrderFactory, today

pytestmark = pytest.mark.django_db
URL = "/payments/standing-orders/"


@pytest.fixture
def group(make_user, user):
    """A savings group whose admin is someone else and where `user` is a member."""
    group = group_create(admin=make_user(), name="Holiday", group_type="SAVINGS")
    GroupMembers.objects.create(group=group, user=user)
    return group


def pot(group) -> Decimal:
    return LedgerAccount.objects.get(pk=group.pot_id).balance


def group_body(group, **overrides):
    data = {"group": group.pk, "amount": "40.00", "frequency": "MONTHLY", "start_date": today().isoformat()}
    return {**data, **overrides}


def test_a_member_creates_a_monthly_contribution(api, user, group):
    response = api.post(URL, group_body(group))
    assert response.status_code == 201, response.data
    assert (response.data["group"], response.data["recipient"], response.data["status"]) == (group.pk, None, "ACTIVE")


@pytest.mark.parametrize("case", ["not_a_member", "missing", "inactive", "closed_deadline", "both"])
def test_invalid_group_orders_are_refused(api, user, group, make_user, case):
    other = group_create(admin=make_user(), name="Theirs", group_type="SAVINGS")
    payload = group_body(group)
    if case == "not_a_member":
        payload["group"] = other.pk
    elif case == "missing":
        payload["group"] = 999999
    elif case == "inactive":
        PaymentGroups.objects.filter(pk=group.pk).update(is_active=False)
    elif case == "closed_deadline":
        PaymentGroups.objects.filter(pk=group.pk).update(deadline=today() + timedelta(days=5))
        payload["start_date"] = (today() + timedelta(days=6)).isoformat()
    else:
        payload["recipient"] = make_user().pk
    response = api.post(URL, payload)
    assert response.status_code == 400
    expected = {
        "not_a_member": ("unknown_group", "group"),
        "missing": ("unknown_group", "group"),
        "inactive": ("group_inactive", "group"),
        "closed_deadline": ("after_deadline", "start_date"),
        "both": ("one_payee_only", "group"),
    }[case]
    assert (response.data["code"], expected[1] in response.data["fields"]) == (expected[0], True)
    assert StandingOrder.objects.count() == 0


def test_a_due_group_order_contributes_through_the_group_service(user, group, django_capture_on_commit_callbacks):
    order = StandingOrderFactory(user=user, recipient=None, group=group, amount=Decimal("40.00"))
    assert standing_orders_execute_due(now=timezone.now()) == 1
    assert balance_of(user) == Decimal("60.00") and pot(group) == Decimal("40.00")
    execution = order.executions.get()
    txn = execution.transaction
    assert (execution.status, txn.status, txn.transaction_type) == ("SUCCEEDED", "COMPLETED", "CONTRIBUTION")
    assert txn.metadata["standing_order_id"] == order.pk and txn.metadata["group_id"] == group.pk
    assert Contribution.objects.get(transaction=txn).amount == Decimal("40.00")
    assert GroupMembers.objects.get(group=group, user=user).total_contributed == Decimal("40.00")
    assert run_all() == []


def test_insufficient_funds_for_a_contribution_is_retried(user, group):
    order = StandingOrderFactory(user=user, recipient=None, group=group, amount=Decimal("400.00"))
    assert standing_orders_execute_due(now=timezone.now()) == 1
    execution = order.executions.get()
    assert (execution.status, execution.transaction.status) == ("FAILED", "FAILED")
    order.refresh_from_db()
    assert order.is_active and pot(group) == 0 and balance_of(user) == Decimal("100.00")
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("change", ["deactivated", "left"])
def test_a_group_that_no_longer_takes_the_money_suspends_the_order(
    user, group, change, django_capture_on_commit_callbacks
):
    order = StandingOrderFactory(user=user, recipient=None, group=group)
    if change == "deactivated":
        PaymentGroups.objects.filter(pk=group.pk).update(is_active=False)
    else:
        GroupMembers.objects.filter(group=group, user=user).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert standing_orders_execute_due(now=timezone.now()) == 1
    execution = StandingOrderExecution.objects.get(order=order)
    assert (execution.status, execution.transaction) == ("FAILED", None)
    order.refresh_from_db()
    assert (order.status, order.is_active, order.next_execution) == ("SUSPENDED", False, None)
    assert balance_of(user) == Decimal("100.00") and pot(group) == 0
    assert "suspended" in mail.outbox[0].subject and "Holiday" in mail.outbox[0].body


def test_resume_is_refused_while_the_group_is_inactive(user, group):
    order = StandingOrderFactory(user=user, recipient=None, group=group)
    standing_order_pause(order=order)
    PaymentGroups.objects.filter(pk=group.pk).update(is_active=False)
    with pytest.raises(ApplicationError) as exc:
        standing_order_resume(order=order)
    assert exc.value.code == "group_inactive"
    order.refresh_from_db()
    assert order.status == "PAUSED"


def test_put_moves_an_order_from_a_recipient_to_a_group(api, user, group, make_user):
    order = StandingOrderFactory(user=user, recipient=make_user(), start_date=today() + timedelta(days=1))
    response = api.put(f"{URL}{order.pk}/", group_body(group))
    assert response.status_code == 200, response.data
    assert (response.data["group"], response.data["recipient"]) == (group.pk, None)
    assert response.data["next_scheduled_for"] == today().isoformat()
