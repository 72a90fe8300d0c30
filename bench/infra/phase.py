"""What every benchmark process does first (its database, migrated, with the funded users) and
last (hand its figures to bench.run, or print them when run on its own)."""

import json
import os
import sys

from bench.infra import db
from bench.infra.knobs import Knobs

USER_PREFIX = "bench-"
USER_CENTS = 100_000  # 1,000.00 each


def target_for(vendor: str, knobs: Knobs) -> db.Target:
    if vendor == "sqlite":
        return db.sqlite_target(knobs.sqlite_path)
    return db.postgres_target(knobs.pg_database)


def prepare(target: db.Target, knobs: Knobs) -> list:
    """Create and migrate the database if needed, configure Django for it, and make sure the
    benchmark's funded users exist. Returns their wallets."""
    if not db.exists(target):
        db.recreate(target)
    db.migrate(target)
    db.setup_django(target)
    from bench.infra.load import ensure_users

    log(f"{target.label}: {knobs.users:,} funded users ready")
    return ensure_users(prefix=USER_PREFIX, count=knobs.users, cents=USER_CENTS)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def emit(result: dict) -> None:
    text = json.dumps(result, indent=2, default=str)
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as handle:
            handle.write(text)
    else:
        print(text)
