import os
import signal
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from comrade.core import jobs, scheduler
from comrade.ledger.selectors import balance_of


@pytest.fixture
def registry(monkeypatch):
    """An empty job registry for the test, the real one restored afterwards."""
    monkeypatch.setattr(jobs, "_registry", {})
    return jobs


def test_the_apps_register_their_jobs():
    names = {job.name for job in jobs.registered()}
    assert {"execute_standing_orders", "expire_pending_payments"} <= names


@pytest.mark.django_db  # every run records its heartbeat (JobRun)
def test_a_failing_job_is_logged_and_the_others_still_run(registry, caplog):
    seen = []
    registry.register("a_counts", lambda now: seen.append(now) or 3)
    registry.register("b_breaks", lambda now: 1 / 0)
    registry.register("c_counts", lambda now: seen.append(now) or 0)
    now = timezone.now()
    assert scheduler.run_jobs(now) == {"a_counts": 3, "b_breaks": None, "c_counts": 0}
    assert seen == [now, now]
    assert "job b_breaks failed" in caplog.text and "ZeroDivisionError" in caplog.text


@pytest.mark.django_db  # every run records its heartbeat (JobRun)
def test_with_memory_a_job_runs_again_only_after_its_interval(registry):
    runs = {"slow": 0, "fast": 0}
    registry.register("slow", lambda now: runs.__setitem__("slow", runs["slow"] + 1) or 1, every_seconds=3600)
    registry.register("fast", lambda now: runs.__setitem__("fast", runs["fast"] + 1) or 1, every_seconds=0)
    last_run: dict[str, float] = {}
    assert scheduler.run_jobs(last_run=last_run) == {"fast": 1, "slow": 1}
    assert scheduler.run_jobs(last_run=last_run) == {"fast": 1}
    assert runs == {"slow": 1, "fast": 2}


@pytest.mark.django_db  # every run records its heartbeat (JobRun)
def test_execute_lets_the_error_through(registry):
    registry.register("breaks", lambda now: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        scheduler.execute(jobs.get("breaks"))


@pytest.mark.django_db
def test_run_scheduler_once_executes_due_standing_orders(make_user):
    from comrade.standing_orders.tests.factories import StandingOrderFactory

    payer, payee = make_user(balance="50.00"), make_user()
    StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("20.00"))
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "execute_standing_orders: 1" in out.getvalue()
    assert balance_of(payer) == Decimal("30.00") and balance_of(payee) == Decimal("20.00")


@pytest.mark.django_db(transaction=True)
def test_run_scheduler_loops_until_sigterm_and_restores_the_handlers(monkeypatch):
    ticks = []

    def tick(now=None, *, last_run=None):
        ticks.append(last_run)
        if len(ticks) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return {"execute_standing_orders": len(ticks)}

    monkeypatch.setattr(scheduler, "run_jobs", tick)
    handler = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    call_command("run_scheduler", "--interval", "0.01", stdout=out)
    assert len(ticks) == 2 and ticks[0] is ticks[1] is not None
    assert "execute_standing_orders: 2" in out.getvalue() and "scheduler: stopped" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is handler
