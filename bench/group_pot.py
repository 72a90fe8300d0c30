"""Benchmark 4: a hot group pot. BENCH_GROUP_MEMBERS (200) members of one group each send
BENCH_GROUP_ROUNDS contributions through gunicorn, all starting at the same instant (one thread
per member). Reports contributions/s and latency, and checks that the pot equals the sum of the
accepted contributions, the Contribution rows and the members' totals.

    python -m bench.group_pot
"""

import threading
import time
from decimal import Decimal

import requests

from bench.infra import db
from bench.infra.knobs import Knobs
from bench.infra.phase import emit, log, prepare, target_for
from bench.infra.server import Server, bearer_tokens
from bench.infra.stats import summary


def make_group(wallets, members: int):
    """A group whose admin is on the ENTERPRISE tier (no member limit) with `members` members."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from comrade.accounts.models import User
    from comrade.commerce.models import UserSubscription
    from comrade.groups.services import group_create
    from comrade.groups.services.common import lock_group
    from comrade.groups.services.members import member_add

    admin = User.objects.get(pk=wallets[0].user_id)
    if not UserSubscription.objects.filter(user=admin, status="ACTIVE").exists():
        now = timezone.now()
        UserSubscription.objects.create(
            user=admin, subscription_type="ENTERPRISE", start_date=now, end_date=now + timedelta(days=30)
        )
    group = group_create(admin=admin, name=f"Bench pot {time.time():.0f}", group_type="SAVINGS")
    with transaction.atomic():
        locked = lock_group(group)
        for wallet in wallets[1:members]:
            member_add(group=locked, user=User(pk=wallet.user_id))
    return group


def contribute_all(server: Server, group_id: int, tokens: dict, rounds: int) -> tuple[list, dict]:
    url = f"{server.base_url}/payments/payment-groups/{group_id}/contribute/"
    barrier = threading.Barrier(len(tokens) + 1)
    outcomes: list[tuple[float, int, Decimal]] = []
    lock = threading.Lock()

    def member(user_id: int, token: str) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        barrier.wait()
        for round_ in range(rounds):
            amount = Decimal(1 + (user_id * 7 + round_ * 13) % 500) / 100
            began = time.perf_counter()
            response = session.post(
                url, json={"amount": str(amount), "payment_method": "INTERNAL"}, headers=headers, timeout=300
            )
            with lock:
                outcomes.append((time.perf_counter() - began, response.status_code, amount))

    threads = [threading.Thread(target=member, args=(uid, token)) for uid, token in tokens.items()]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    accepted = [o for o in outcomes if o[1] == 201]
    figures = summary([o[0] for o in accepted], seconds=seconds, errors=len(outcomes) - len(accepted))
    figures["statuses"] = {str(code): sum(1 for o in outcomes if o[1] == code) for code in {o[1] for o in outcomes}}
    return accepted, figures


def pot_checks(group, accepted) -> dict:
    from django.db.models import Sum

    from comrade.groups.models import Contribution, GroupMembers
    from comrade.ledger.models import LedgerAccount

    pot = LedgerAccount.objects.get(pk=group.pot_id).balance
    expected = sum((o[2] for o in accepted), Decimal(0))
    rows = Contribution.objects.filter(group=group)
    members_total = GroupMembers.objects.filter(group=group).aggregate(s=Sum("total_contributed"))["s"]
    return {
        "pot": str(pot),
        "sum_of_accepted": str(expected),
        "contribution_rows": rows.count(),
        "sum_of_contribution_rows": str(rows.aggregate(s=Sum("amount"))["s"] or 0),
        "sum_of_member_totals": str(members_total or 0),
        "pot_equals_sum": pot == expected == (rows.aggregate(s=Sum("amount"))["s"] or 0) == (members_total or 0)
        and rows.count() == len(accepted),
    }


def main() -> None:
    knobs = Knobs()
    target = target_for("postgresql", knobs)
    wallets = prepare(target, knobs)
    group = make_group(wallets, knobs.group_members)
    members = [w.user_id for w in wallets[: knobs.group_members]]
    tokens = bearer_tokens(members)
    log(f"{len(members)} members contributing {knobs.group_rounds} times each to group {group.pk} at once")
    with Server(target, port=knobs.port, workers=knobs.workers, conn_max_age=knobs.conn_max_age) as server:
        accepted, figures = contribute_all(server, group.pk, tokens, knobs.group_rounds)
    result = {
        "database": target.label,
        "members": len(members),
        "rounds": knobs.group_rounds,
        "workers": knobs.workers,
        "contributions": figures,
        **pot_checks(group, accepted),
        "ledger": db.verify_ledger(target),
    }
    emit(result)


if __name__ == "__main__":
    main()
