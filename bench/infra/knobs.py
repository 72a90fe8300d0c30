"""Every size and duration of `make bench` comes from the environment (docs/performance.md lists
them); the defaults keep a whole run under about 20 minutes on 2 cores."""

import os
from dataclasses import asdict, dataclass, field

from config.env import env_int, env_list, env_str

ALL_BENCHMARKS = ["transfers", "history", "standing_orders", "group_pot", "purchases"]


def _default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class Knobs:
    clients: int = field(default_factory=lambda: env_int("BENCH_CLIENTS", 8))
    users: int = field(default_factory=lambda: env_int("BENCH_USERS", 10_000))
    seconds: int = field(default_factory=lambda: env_int("BENCH_SECONDS", 20))
    warmup: int = field(default_factory=lambda: env_int("BENCH_WARMUP", 3))
    workers: int = field(default_factory=lambda: env_int("BENCH_WORKERS", _default_workers()))
    conn_max_age: int = field(default_factory=lambda: env_int("BENCH_CONN_MAX_AGE", 60))
    port: int = field(default_factory=lambda: env_int("BENCH_PORT", 8765))
    history_txns: int = field(default_factory=lambda: env_int("BENCH_HISTORY_TXNS", 1_000_000))
    history_hot: int = field(default_factory=lambda: env_int("BENCH_HISTORY_HOT", 100_000))
    history_samples: int = field(default_factory=lambda: env_int("BENCH_HISTORY_SAMPLES", 200))
    history_deep_offset: int = field(default_factory=lambda: env_int("BENCH_HISTORY_DEEP", 90_000))
    orders: int = field(default_factory=lambda: env_int("BENCH_ORDERS", 100_000))
    schedulers: int = field(default_factory=lambda: env_int("BENCH_SCHEDULERS", 2))
    group_members: int = field(default_factory=lambda: env_int("BENCH_GROUP_MEMBERS", 200))
    group_rounds: int = field(default_factory=lambda: env_int("BENCH_GROUP_ROUNDS", 5))
    only: list[str] = field(default_factory=lambda: env_list("BENCH_ONLY", ",".join(ALL_BENCHMARKS)))
    sqlite_path: str = field(default_factory=lambda: env_str("BENCH_SQLITE_PATH", "/tmp/comrade-bench.sqlite3"))
    pg_database: str = field(default_factory=lambda: env_str("BENCH_PG_DB", "comrade_bench"))

    def as_dict(self) -> dict:
        return asdict(self)
