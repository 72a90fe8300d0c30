"""A pool of client processes that run one operation in a loop for a fixed time.

Processes, not threads, so that the client side of a service-layer or bare-SQL run is not capped by
one interpreter's lock. Each process is forked after Django's connections are closed and opens its
own. All clients start at the same instant; operations that start in the warm-up are not counted.
"""

import multiprocessing as mp
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.infra.stats import summary

Operation = Callable[[random.Random], None]
MakeOperation = Callable[[int], Operation]  # client index -> the operation that client repeats


class Refused(Exception):
    """An operation that got an answer it should not have (counted as an error, not a latency)."""


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)


def _client(make: MakeOperation, index: int, start_at: float, warmup: float, seconds: float, queue) -> None:
    result = ClientResult()
    try:
        operation = make(index)
        rng = random.Random(index * 7919 + 1)
        measure_from, stop_at = start_at + warmup, start_at + warmup + seconds
        time.sleep(max(start_at - time.monotonic(), 0))
        while (began := time.monotonic()) < stop_at:
            try:
                operation(rng)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and sampled
                if began >= measure_from:
                    result.errors[type(exc).__name__] += 1
                    if len(result.samples) < 3:
                        result.samples.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            ended = time.monotonic()
            if began >= measure_from and ended <= stop_at:
                result.latencies.append(ended - began)
    except Exception:  # noqa: BLE001 - a client that cannot start reports why
        result.errors["ClientCrashed"] += 1
        result.samples.append(traceback.format_exc()[-600:])
    queue.put(result)


def run_clients(make: MakeOperation, *, clients: int, seconds: float, warmup: float) -> dict:
    """Run `clients` processes for warmup + seconds; returns summary() plus error details."""
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.monotonic() + 0.5
    procs = [ctx.Process(target=_client, args=(make, i, start_at, warmup, seconds, queue)) for i in range(clients)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=warmup + seconds + 300) for _ in procs]
    for proc in procs:
        proc.join()
    latencies = [lat for r in results for lat in r.latencies]
    errors = sum((r.errors for r in results), Counter())
    figures = summary(latencies, seconds=seconds, errors=sum(errors.values()))
    figures["clients"] = clients
    if errors:
        figures["error_kinds"] = dict(errors)
        figures["error_samples"] = [s for r in results for s in r.samples][:5]
    return figures
