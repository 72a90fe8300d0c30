"""Concurrency claims, on PostgreSQL only (SQLite ignores select_for_update)."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from comrade.core import settlement
from comrade.core.errors import NotFound
from comrade.core.testing.concurrency import run_together
from comrade.groups.models import Contribution, GroupInvitation, GroupMembers, PaymentGroups
from comrade.groups.services import (
    group_close,
    group_contribute,
    group_invite,
    group_join,
    group_member_remove,
    group_rotation_payout,
    group_rotation_set,
)
from comrade.groups.services import groups as group_services
from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory
from comrade.groups.tests.helpers import pot, settle_external, wallet
from comrade.ledger.checks import run_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_members_contributing_at_the_same_moment(make_user):
    admin = make_user()
    group = PaymentGroupFactory(admin=admin)
    people = [make_user(balance="100.00") for _ in range(50)]
    for person in people:
        GroupMemberFactory(group=group, user=person)
    amounts = [Decimal(f"{1 + i}.{i % 100:02d}") for i in range(50)]

    results = run_together(
        [lambda p=p, a=a: group_contribute(group=group, user=p, amount=a) for p, a in zip(people, amounts, strict=True)]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.status for r in results} == {"COMPLETED"}
    assert pot(group) == sum(amounts)
    group.refresh_from_db()
    assert group.current_amount == sum(amounts)
    assert Contribution.objects.filter(group=group).aggregate(s=Sum("amount"))["s"] == sum(amounts)
    totals = dict(GroupMembers.objects.filter(group=group).values_list("user_id", "total_contributed"))
    assert totals == {admin.pk: 0, **{p.pk: a for p, a in zip(people, amounts, strict=True)}}
    assert all(wallet(p) == Decimal("100.00") - a for p, a in zip(people, amounts, strict=True))
    assert run_all() == []


def test_close_while_members_contribute_leaves_nothing_behind(make_user):
    admin = make_user(balance="50.00")
    group = PaymentGroupFactory(admin=admin)
    people = [make_user(balance="20.00") for _ in range(12)]
    for person in people:
        GroupMemberFactory(group=group, user=person)
    group_contribute(group=group, user=admin, amount=Decimal("10.01"))

    work = [lambda p=p: group_contribute(group=group, user=p, amount=Decimal("3.33")) for p in people]
    results = run_together([*work[:6], lambda: group_close(group=group, admin=admin), *work[6:]])

    refused = [r for r in results if isinstance(r, Exception)]
    assert all(getattr(r, "code", None) == "group_closed" for r in refused), refused
    assert pot(group) == 0
    assert sum(wallet(p) for p in [admin, *people]) == Decimal("50.00") + 12 * Decimal("20.00")
    assert PaymentGroups.objects.get(pk=group.pk).is_closed
    assert run_all() == []


def test_close_with_odd_amounts_refunds_the_pot_to_the_cent(make_user):
    admin = make_user(balance="100.00")
    group = PaymentGroupFactory(admin=admin)
    people = [admin] + [make_user(balance="100.00") for _ in range(6)]
    for person in people[1:]:
        GroupMemberFactory(group=group, user=person)
    odd = ["13.37", "0.01", "7.77", "33.33", "1.99", "5.55", "0.07"]
    for person, amount in zip(people, odd, strict=True):
        group_contribute(group=group, user=person, amount=Decimal(amount))
    from comrade.groups.services import group_pot_pay
    from comrade.ledger.models import LedgerAccount
    from comrade.ledger.services import system_account

    shop = system_account(LedgerAccount.Kind.REVENUE, "sales", allow_negative=False)
    group_pot_pay(
        group=group, admin=admin, amount=Decimal("10.00"), credit_account_id=shop.pk, transaction_type="PURCHASE"
    )
    left = pot(group)

    refunds = group_close(group=group, admin=admin)

    assert sum(t.amount for t in refunds) == left == Decimal("52.09")
    assert all(t.amount == t.amount.quantize(Decimal("0.01")) for t in refunds)
    assert pot(group) == 0
    assert run_all() == []


def test_parallel_joins_never_exceed_the_member_limit(make_user):
    group = PaymentGroupFactory(admin=make_user(), is_open=True)
    people = [make_user() for _ in range(8)]

    results = run_together([lambda p=p: group_join(group=group, user=p) for p in people])

    joined = [r for r in results if not isinstance(r, Exception)]
    assert len(joined) == 2  # BASIC: 3 including the admin
    assert {getattr(r, "code", None) for r in results if isinstance(r, Exception)} == {"member_limit_reached"}
    assert GroupMembers.objects.filter(group=group).count() == 3


def test_parallel_invites_of_one_email_make_one_invitation(make_user):
    group = PaymentGroupFactory(admin=make_user())

    results = run_together(
        [lambda: group_invite(group=group, inviter=group.admin, invitee_email="same@example.com") for _ in range(8)]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert GroupInvitation.objects.filter(group=group).count() == 1
    assert [r.created for r in results].count(True) == 1


def test_parallel_rotation_payouts_pay_each_member_once(make_user):
    admin = make_user(balance="100.00")
    group = PaymentGroupFactory(admin=admin)
    people = [admin] + [make_user(balance="100.00") for _ in range(4)]
    for person in people[1:]:
        GroupMemberFactory(group=group, user=person)
    for person in people:
        group_contribute(group=group, user=person, amount=Decimal("20.00"))
    group_rotation_set(group=group, admin=admin, order=[p.pk for p in people])

    results = run_together(
        [lambda: group_rotation_payout(group=group, admin=admin, amount=Decimal("20.00")) for _ in range(5)]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.receiver_id for r in results) == sorted(p.pk for p in people)
    assert pot(group) == 0
    assert run_all() == []


def _blocking_someone() -> bool:
    """Whether another session waits for a lock this session holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return cursor.fetchone()[0]


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_close_racing_an_external_contribution_never_pays_one_members_money_to_another(make_user, monkeypatch):
    """The close reads its refund weights, then pauses until the external contribution has either
    settled or is waiting for one of the close's locks: the old race window, made certain."""
    admin, payer, other = make_user(balance="100.00"), make_user(), make_user(balance="100.00")
    group = PaymentGroupFactory(admin=admin)
    GroupMemberFactory(group=group, user=payer)
    GroupMemberFactory(group=group, user=other)
    group_contribute(group=group, user=admin, amount=Decimal("10.00"))
    group_contribute(group=group, user=other, amount=Decimal("30.00"))
    close_has_read, settlement_done = threading.Event(), threading.Event()
    lock_accounts = group_services.lock_accounts

    def lock_accounts_after_the_settlement(ids):
        close_has_read.set()
        _wait_for(lambda: settlement_done.is_set() or _blocking_someone())
        return lock_accounts(ids)

    def settle():
        close_has_read.wait(10)
        try:
            return settle_external(group, payer, "50.00")
        finally:
            settlement_done.set()

    monkeypatch.setattr(group_services, "lock_accounts", lock_accounts_after_the_settlement)
    closing, settling = run_together([lambda: group_close(group=group, admin=admin), settle])

    assert not isinstance(closing, Exception), closing
    refunds = {t.receiver_id: t.amount for t in closing}
    if isinstance(settling, settlement.Refused):  # the money goes to the payer's wallet, not the pot
        assert settling.code == "group_closed"
        assert refunds == {admin.pk: Decimal("10.00"), other.pk: Decimal("30.00")}
        assert not Contribution.objects.filter(member=payer).exists()
    else:
        assert not isinstance(settling, Exception), settling
        assert refunds == {admin.pk: Decimal("10.00"), payer.pk: Decimal("50.00"), other.pk: Decimal("30.00")}
    assert (wallet(admin), wallet(other)) == (Decimal("100.00"), Decimal("100.00"))
    assert pot(group) == 0
    assert run_all() == []


def test_a_member_removed_while_contributing_gets_back_all_they_put_in(make_user):
    admin, member = make_user(balance="100.00"), make_user(balance="100.00")
    co_admin = make_user()
    group = PaymentGroupFactory(admin=admin)
    GroupMemberFactory(group=group, user=member)
    GroupMemberFactory(group=group, user=co_admin, role="ADMIN")
    group_contribute(group=group, user=admin, amount=Decimal("10.00"))
    group_contribute(group=group, user=member, amount=Decimal("5.00"))

    work = [lambda: group_contribute(group=group, user=member, amount=Decimal("7.77")) for _ in range(6)]
    results = run_together(
        [*work[:3], lambda: group_member_remove(group=group, admin=co_admin, user_id=member.pk), *work[3:]]
    )
    closing = group_close(group=group, admin=co_admin)

    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, NotFound) for r in refused), refused
    assert wallet(member) == Decimal("100.00")
    assert {t.receiver_id: t.amount for t in closing} == {admin.pk: Decimal("10.00")}
    assert (wallet(admin), wallet(co_admin), pot(group)) == (Decimal("100.00"), Decimal("0.00"), 0)
    assert run_all() == []
