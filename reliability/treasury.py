"""A treasurer's group under load: one group with monthly dues and two approvals needed. Through
gunicorn, members contribute concurrently (every request with an Idempotency-Key), the admin asks
for payouts, and the approvers race to approve each request at the same instant, while others try
the payout directly. Afterwards, read with SQL:

- each executed request paid exactly once, and no payout left the pot without an executed request;
- no obligation is paid twice: the allocations of an obligation never exceed it and equal what it
  shows as paid, and no contribution is allocated beyond its amount;
- the pot equals its entries, and the ledger invariants hold."""

import threading
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import requests

from reliability import invariants
from reliability.world import World

PAYOUTS = 6
CONTRIBUTORS = 8
DUES = Decimal("20.00")


def run(world: World) -> tuple[dict, list[str]]:
    group, approvers, members = _setup(world)
    world.server.start()
    try:
        statuses: Counter = Counter()
        lock = threading.Lock()
        threads = [threading.Thread(target=_contribute, args=(world, group.pk, m, statuses, lock)) for m in members]
        threads.append(threading.Thread(target=_payouts, args=(world, group.pk, approvers, members, statuses, lock)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        world.server.stop()
    figures, violations = _audit(group.pk)
    figures["responses"] = dict(sorted(statuses.items()))
    ledger_figures, ledger_violations = invariants.ledger(world.target)
    figures["sum_of_all_balances"] = ledger_figures.get("sum_of_all_balances")
    return figures, violations + ledger_violations


def _setup(world: World):
    from django.utils import timezone

    from comrade.accounts.models import User
    from comrade.groups.models import PaymentGroups
    from comrade.groups.services import group_approvals_required_set, group_member_role_set
    from comrade.groups.services.dues import ScheduleTerms, dues_obligations_create, dues_schedule_set

    spec = world.groups[-1]
    group = PaymentGroups.objects.get(pk=spec.id)
    admin = User.objects.get(pk=spec.admin_id)
    others = [uid for uid in spec.member_ids if uid != spec.admin_id]
    treasurers = others[:2]
    for user_id in treasurers:
        group_member_role_set(group=group, admin=admin, user_id=user_id, role="TREASURER")
    group_approvals_required_set(group=group, admin=admin, approvals_required=2)
    today = date.today()
    dues_schedule_set(
        group=group, admin=admin, terms=ScheduleTerms(amount=DUES, frequency="MONTHLY", first_due_date=today)
    )
    dues_obligations_create(now=timezone.now() + timedelta(minutes=1))
    members = others[2 : 2 + CONTRIBUTORS]
    return group, [spec.admin_id, *treasurers], members


def _post(world: World, user_id: int, path: str, body: dict, key: bool = True) -> requests.Response | None:
    headers = world.headers(user_id, **({"Idempotency-Key": str(uuid.uuid4())} if key else {}))
    try:
        return requests.post(world.server.base_url + path, json=body, headers=headers, timeout=60)
    except requests.RequestException:
        return None


def _count(statuses: Counter, lock: threading.Lock, name: str, response) -> None:
    with lock:
        statuses[f"{name} {getattr(response, 'status_code', 'no answer')}"] += 1


def _contribute(world: World, group_id: int, user_id: int, statuses: Counter, lock) -> None:
    for amount in ("7.00", "13.00", "9.50", "30.00"):
        body = {"amount": amount, "payment_method": "INTERNAL"}
        response = _post(world, user_id, f"/payments/payment-groups/{group_id}/contribute/", body)
        _count(statuses, lock, "contribution", response)


def _payouts(world: World, group_id: int, approvers: list[int], members: list[int], statuses: Counter, lock) -> None:
    admin = approvers[0]
    for index in range(PAYOUTS):
        body = {"user_id": members[index % len(members)], "amount": "5.00"}
        asked = _post(world, admin, f"/payments/payment-groups/{group_id}/payout/", body)
        _count(statuses, lock, "payout request", asked)
        if asked is not None and asked.status_code == 202:
            _race(world, group_id, asked.json()["id"], approvers, body, statuses, lock)


def _race(world: World, group_id: int, request_id: int, approvers: list[int], body: dict, statuses, lock) -> None:
    """The treasurers approve the same request at the same instant while the admin tries the
    payout directly once more."""
    admin, *treasurers = approvers
    group_path = f"/payments/payment-groups/{group_id}"
    calls = [
        ("approve", treasurer, f"{group_path}/approvals/{request_id}/approve/", {"reason": "ok"})
        for treasurer in treasurers
    ] + [("direct payout", admin, f"{group_path}/payout/", body)]
    barrier = threading.Barrier(len(calls))

    def call(name: str, user_id: int, path: str, payload: dict) -> None:
        barrier.wait()
        _count(statuses, lock, name, _post(world, user_id, path, payload, key=name != "approve"))

    racers = [threading.Thread(target=call, args=c) for c in calls]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()


def _audit(group_id: int) -> tuple[dict, list[str]]:
    from django.db import connection

    def rows(sql: str, *params) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    executed = rows(
        "SELECT COUNT(*) FROM groups_approvalrequest WHERE group_id = %s AND status = 'EXECUTED' AND action = 'payout'",
        group_id,
    )[0][0]
    payouts = rows(
        "SELECT COUNT(*) FROM ledger_transactiontoken t JOIN ledger_ledgerentry e ON e.transaction_id = t.id"
        " JOIN groups_paymentgroups g ON g.pot_id = e.account_id"
        " WHERE g.id = %s AND e.amount < 0 AND t.status = 'COMPLETED' AND t.transaction_type = 'PAYOUT'",
        group_id,
    )[0][0]
    overpaid = rows(
        "SELECT o.id, o.amount, o.paid_amount, COALESCE(SUM(a.amount), 0) FROM groups_duesobligation o"
        " LEFT JOIN groups_duesallocation a ON a.obligation_id = o.id WHERE o.group_id = %s"
        " GROUP BY o.id, o.amount, o.paid_amount HAVING COALESCE(SUM(a.amount), 0) > o.amount"
        " OR COALESCE(SUM(a.amount), 0) <> o.paid_amount",
        group_id,
    )
    overspent = rows(
        "SELECT r.id FROM groups_duesreceipt r JOIN groups_contribution c ON c.id = r.contribution_id"
        " LEFT JOIN groups_duesallocation a ON a.receipt_id = r.id WHERE r.group_id = %s"
        " GROUP BY r.id, r.unallocated, c.amount HAVING COALESCE(SUM(a.amount), 0) + r.unallocated <> c.amount",
        group_id,
    )
    obligations = rows(
        "SELECT status, COUNT(*) FROM groups_duesobligation WHERE group_id = %s GROUP BY status", group_id
    )
    violations = []
    if executed != payouts:
        violations.append(f"{payouts} payouts left the pot for {executed} executed requests")
    violations += [f"obligation {o[0]} of {o[1]}: paid {o[2]}, allocated {o[3]}" for o in overpaid]
    violations += [
        f"contribution receipt {r[0]}: allocations and credit differ from the contribution" for r in overspent
    ]
    figures = {
        "payout_requests_executed": executed,
        "payouts_from_the_pot": payouts,
        "obligations_by_status": dict(obligations),
        "obligations_paid_twice": len(overpaid),
    }
    return figures, violations
