"""Benchmark 3: BENCH_ORDERS standing orders due at once (the issue's 100,000 by default), executed
by the registered scheduler job (`execute_standing_orders`, the one run_scheduler and Celery beat
run) in BENCH_SCHEDULERS parallel processes on PostgreSQL. Just before, in the same process tree,
the service-layer transfer rate among the same funded users is measured (BENCH_CLIENTS processes
for BENCH_SECONDS, as in bench.transfers), and the ratio `standing_orders_over_service_transfers`
is reported (goal 3 of issue 12: at least 5), with the CPU the scheduler processes and their
database backends used per order (`scheduler_cpu`: which of the two bounds the rate). Checks that
each order was paid exactly once: one SUCCEEDED execution and one COMPLETED transfer per order,
every order moved to its next month, a second pass finds nothing due, verify_ledger is clean.

    python -m bench.standing_orders
"""

import multiprocessing as mp
import os
import time

from bench.infra import db
from bench.infra.knobs import Knobs
from bench.infra.phase import emit, log, prepare, target_for
from bench.infra.stats import ratio
from bench.transfers import service_run

DESCRIPTION = "Bench order"


def _backend_cpu() -> tuple[int, float | None]:
    """This process's PostgreSQL backend and the CPU seconds it used so far (None when its /proc
    entry cannot be read: a server on another machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid, _cpu_of(pid)


def _cpu_of(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scheduler(now, queue) -> None:
    """One scheduler process: how many orders it handled, its own CPU seconds and its database
    backend's (to tell whether Python or the database bounds the rate)."""
    from comrade.core import jobs, scheduler

    try:
        pid, backend_before = _backend_cpu()
        cpu_before = time.process_time()
        handled = scheduler.execute(jobs.get("execute_standing_orders"), now)
        backend_after = _cpu_of(pid)
        backend = None if backend_before is None or backend_after is None else backend_after - backend_before
        queue.put((handled, time.process_time() - cpu_before, backend))
    except Exception as exc:  # noqa: BLE001 - reported as a failed scheduler
        queue.put((f"{type(exc).__name__}: {exc}", 0.0, None))


def run_schedulers(count: int, now) -> tuple[list, float, dict]:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    started = time.monotonic()
    procs = [ctx.Process(target=_scheduler, args=(now, queue)) for _ in range(count)]
    for proc in procs:
        proc.start()
    answers = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    backends = [backend for _, _, backend in answers]
    cpu = {
        "python_seconds": round(sum(python for _, python, _ in answers), 2),
        "database_seconds": None if None in backends else round(sum(backends), 2),
    }
    return [handled for handled, _, _ in answers], time.monotonic() - started, cpu


def exactly_once(first_id: int, today) -> dict:
    """How many of this run's orders were paid zero times, more than once, or not moved on."""
    from dateutil.relativedelta import relativedelta
    from django.db.models import Count, Q

    from comrade.ledger.models import TransactionToken
    from comrade.standing_orders.models import StandingOrder, StandingOrderExecution

    orders = StandingOrder.objects.filter(pk__gte=first_id, description=DESCRIPTION)
    runs = StandingOrderExecution.objects.filter(order__in=orders, scheduled_for=today)
    per_order = orders.annotate(paid=Count("executions", filter=Q(executions__status="SUCCEEDED")))
    payments = TransactionToken.objects.filter(
        description=DESCRIPTION, transaction_type="TRANSFER", status="COMPLETED", metadata__scheduled_for=str(today)
    )
    return {
        "orders": orders.count(),
        "executions_succeeded": runs.filter(status="SUCCEEDED").count(),
        "executions_not_succeeded": runs.exclude(status="SUCCEEDED").count(),
        "orders_paid_zero_times": per_order.filter(paid=0).count(),
        "orders_paid_more_than_once": per_order.filter(paid__gt=1).count(),
        "completed_transfers": payments.filter(metadata__standing_order_id__gte=first_id).count(),
        "orders_not_moved_to_next_month": orders.exclude(next_scheduled_for=today + relativedelta(months=1)).count(),
    }


def main() -> None:
    knobs = Knobs()
    target = target_for("postgresql", knobs)
    wallets = prepare(target, knobs)
    from django.db import connection
    from django.utils import timezone

    from bench.infra.load import load_standing_orders
    from comrade.standing_orders.models import StandingOrder

    now = timezone.now()
    today = now.date()
    first_id = (StandingOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    log(f"loading {knobs.orders:,} due standing orders")
    started = time.monotonic()
    loaded = load_standing_orders(users=wallets, count=knobs.orders, today=today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_seconds = time.monotonic() - started
    log(f"service-layer transfers among the same users: {knobs.clients} clients for {knobs.seconds}s")
    service = service_run(knobs, wallets)
    log(f"  {service['per_second']} transfers/s; executing the orders with {knobs.schedulers} scheduler process(es)")
    handled, seconds, cpu = run_schedulers(knobs.schedulers, now)
    again, _, _ = run_schedulers(1, now)
    orders_per_second = round(loaded / seconds, 1)
    log(f"  {orders_per_second} orders/s")
    result = {
        "database": target.label,
        "orders_loaded": loaded,
        "load_seconds": round(load_seconds, 1),
        "schedulers": knobs.schedulers,
        "handled_per_scheduler": handled,
        "seconds": round(seconds, 1),
        "orders_per_second": orders_per_second,
        "scheduler_cpu": {
            **cpu,
            "python_ms_per_order": round(cpu["python_seconds"] * 1000 / loaded, 3) if loaded else None,
            "database_ms_per_order": (
                round(cpu["database_seconds"] * 1000 / loaded, 3)
                if loaded and cpu["database_seconds"] is not None
                else None
            ),
        },
        "service_transfers": service,
        "ratios": {"standing_orders_over_service_transfers": ratio(orders_per_second, service["per_second"])},
        "second_pass_handled": again[0],
        **exactly_once(first_id, today),
    }
    result["exactly_once"] = (
        result["executions_succeeded"] == loaded
        and result["orders_paid_zero_times"] == 0
        and result["orders_paid_more_than_once"] == 0
        and result["completed_transfers"] == loaded
        and result["orders_not_moved_to_next_month"] == 0
        and result["second_pass_handled"] == 0
    )
    result["ledger"] = db.verify_ledger(target)
    emit(result)


if __name__ == "__main__":
    main()
