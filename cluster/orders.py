"""Standing orders due while the cluster runs: the money-relevant proof that a job runs once per
period however many workers take its ticks, and when one of them dies. Seeded in waves (before the
load and during it, around the worker kill) on users of their own (`cluster-so-`), so that the bank
workload's books stay the clients' alone; checked with the benchmark's exactly-once query
(bench/standing_orders.py)."""

import time

from bench.infra.load import Wallet, ensure_users, load_standing_orders
from bench.standing_orders import exactly_once

PREFIX = "cluster-so-"


class Orders:
    def __init__(self, *, users: int, per_wave: int):
        from django.utils import timezone

        from comrade.standing_orders.models import StandingOrder

        self.per_wave, self.today = per_wave, timezone.now().date()
        self.wallets: list[Wallet] = ensure_users(prefix=PREFIX, count=users, cents=100_000)
        self.first_id = (StandingOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.loaded = 0
        self.waves: list[float] = []

    def wave(self, started: float) -> None:
        """`per_wave` monthly orders due today at 00:00 UTC, so due at once."""
        from django.db import connection

        self.loaded += load_standing_orders(users=self.wallets, count=self.per_wave, today=self.today)
        self.waves.append(round(time.monotonic() - started, 1))
        connection.close()

    def pending(self) -> int:
        from comrade.standing_orders.models import StandingOrder

        return StandingOrder.objects.filter(pk__gte=self.first_id, next_scheduled_for__lte=self.today).count()

    def wait_until_paid(self, timeout: float) -> float:
        started = time.monotonic()
        while self.pending() and time.monotonic() - started < timeout:
            time.sleep(1)
        return round(time.monotonic() - started, 1)

    def check(self) -> tuple[dict, list[str]]:
        paid = exactly_once(self.first_id, self.today)
        figures = {"orders_loaded": self.loaded, "waves_at_seconds": self.waves, **paid}
        violations = []
        if figures["orders"] != self.loaded:
            violations.append(f"{self.loaded} orders loaded, {figures['orders']} found")
        for name in ("executions_not_succeeded", "orders_paid_zero_times", "orders_paid_more_than_once"):
            if figures[name]:
                violations.append(f"standing orders: {name} = {figures[name]}")
        for name in ("executions_succeeded", "completed_transfers"):
            if figures[name] != self.loaded:
                violations.append(f"standing orders: {name} = {figures[name]}, expected {self.loaded}")
        if figures["orders_not_moved_to_next_month"]:
            violations.append(f"standing orders not moved on: {figures['orders_not_moved_to_next_month']}")
        return figures, violations
