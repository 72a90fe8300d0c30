"""Benchmark 4: a hot group pot. BENCH_GROUP_MEMBERS (200) members of one group each send
BENCH_GROUP_ROUNDS contributions through gunicorn, all starting at the same instant (one thread
per member). Reports contributions/s and latency, and checks that the pot equals the sum of the
accepted contributions, the Contribution rows and the members' totals.

Then, in the same run and against the same server, the uniform case: the same members contribute
as often, each to a group of their own (one pot per member), so nothing is shared but the server.
`hot_pot_over_uniform` is the hot pot's rate over the uniform rate; every uniform pot is checked
as the hot one is.

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
from bench.infra.stats import ratio, summary


def _enterprise_admin(wallets):
    """The first bench user, on the ENTERPRISE tier (no limit on members or groups created)."""
    from datetime import timedelta

    from django.utils import timezone

    from comrade.accounts.models import User
    from comrade.commerce.models import UserSubscription

    admin = User.objects.get(pk=wallets[0].user_id)
    if not UserSubscription.objects.filter(user=admin, status="ACTIVE").exists():
        now = timezone.now()
        UserSubscription.objects.create(
            user=admin, subscription_type="ENTERPRISE", start_date=now, end_date=now + timedelta(days=30)
        )
    return admin


def _group_with(admin, user_ids, name: str):
    from django.db import transaction

    from comrade.accounts.models import User
    from comrade.groups.services import group_create
    from comrade.groups.services.common import lock_group
    from comrade.groups.services.members import member_add

    group = group_create(admin=admin, name=name, group_type="SAVINGS")
    with transaction.atomic():
        locked = lock_group(group)
        for user_id in user_ids:
            if user_id != admin.pk:
                member_add(group=locked, user=User(pk=user_id))
    return group


def make_group(wallets, members: int):
    """A group whose admin is on the ENTERPRISE tier (no member limit) with `members` members."""
    admin = _enterprise_admin(wallets)
    return _group_with(admin, [w.user_id for w in wallets[1:members]], f"Bench pot {time.time():.0f}")


def make_own_groups(wallets, members: int) -> dict:
    """The uniform case: one group per member (the ENTERPRISE admin's, which the member joins),
    so each member's contributions go to a pot nobody else pays into. Returns user id -> group."""
    admin = _enterprise_admin(wallets)
    stamp = f"{time.time():.0f}"
    return {w.user_id: _group_with(admin, [w.user_id], f"Bench own pot {stamp} {w.user_id}") for w in wallets[:members]}


def contribute_all(server: Server, group_of: dict, tokens: dict, rounds: int) -> tuple[list, dict]:
    """Every member (user id -> bearer token) contributes `rounds` times to group_of[user id],
    all released at once. Returns the accepted (latency, status, amount, group id) and figures."""
    barrier = threading.Barrier(len(tokens) + 1)
    outcomes: list[tuple[float, int, Decimal, int]] = []
    lock = threading.Lock()

    def member(user_id: int, token: str) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{server.base_url}/payments/payment-groups/{group_of[user_id]}/contribute/"
        barrier.wait()
        for round_ in range(rounds):
            amount = Decimal(1 + (user_id * 7 + round_ * 13) % 500) / 100
            began = time.perf_counter()
            response = session.post(
                url, json={"amount": str(amount), "payment_method": "INTERNAL"}, headers=headers, timeout=300
            )
            with lock:
                outcomes.append((time.perf_counter() - began, response.status_code, amount, group_of[user_id]))

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


def uniform_checks(groups: dict, accepted) -> dict:
    """pot_checks for every one of the uniform pots."""
    by_group = {group.pk: group for group in groups.values()}
    checks = [pot_checks(group, [o for o in accepted if o[3] == pk]) for pk, group in by_group.items()]
    return {
        "pots": len(checks),
        "sum_of_pots": str(sum((Decimal(c["pot"]) for c in checks), Decimal(0))),
        "sum_of_accepted": str(sum((o[2] for o in accepted), Decimal(0))),
        "pots_equal_sums": all(c["pot_equals_sum"] for c in checks),
    }


def ratios(result: dict) -> dict:
    hot, uniform = result["contributions"], result["uniform"]["contributions"]
    return {
        "hot_pot_over_uniform": ratio(hot["per_second"], uniform["per_second"]),
        "hot_pot_p99_over_uniform_p99": ratio(hot["p99_ms"], uniform["p99_ms"]),
    }


def main() -> None:
    knobs = Knobs()
    target = target_for("postgresql", knobs)
    wallets = prepare(target, knobs)
    group = make_group(wallets, knobs.group_members)
    own = make_own_groups(wallets, knobs.group_members)
    members = [w.user_id for w in wallets[: knobs.group_members]]
    tokens = bearer_tokens(members)
    log(f"{len(members)} members contributing {knobs.group_rounds} times each to group {group.pk} at once")
    with Server(target, port=knobs.port, workers=knobs.workers, conn_max_age=knobs.conn_max_age) as server:
        accepted, figures = contribute_all(server, dict.fromkeys(members, group.pk), tokens, knobs.group_rounds)
        log(f"  hot pot: {figures['per_second']}/s, p99 {figures['p99_ms']} ms; now each to a pot of their own")
        own_accepted, own_figures = contribute_all(
            server, {uid: g.pk for uid, g in own.items()}, tokens, knobs.group_rounds
        )
        log(f"  uniform: {own_figures['per_second']}/s, p99 {own_figures['p99_ms']} ms")
    result = {
        "database": target.label,
        "members": len(members),
        "rounds": knobs.group_rounds,
        "workers": knobs.workers,
        "contributions": figures,
        **pot_checks(group, accepted),
        "uniform": {"contributions": own_figures, **uniform_checks(own, own_accepted)},
        "ledger": db.verify_ledger(target),
    }
    result["ratios"] = ratios(result)
    emit(result)


if __name__ == "__main__":
    main()
