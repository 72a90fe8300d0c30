"""`make bench`: every benchmark in its own process on fresh databases, then one JSON document and
one markdown table under bench/results/. Exits non-zero if a benchmark crashed or an invariant
(verify_ledger, exactly-once, pot == sum, revenue == purchases) failed; timings are reported, never asserted.

    python -m bench.run          # BENCH_ONLY=transfers,history,... to run some of them
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.infra import db, results
from bench.infra.knobs import ALL_BENCHMARKS, Knobs
from bench.infra.phase import log, target_for

PHASES = [
    ("transfers", "transfers_postgresql", ["bench.transfers", "postgresql"]),
    ("transfers", "transfers_sqlite", ["bench.transfers", "sqlite"]),
    ("history", "history", ["bench.history"]),
    ("standing_orders", "standing_orders", ["bench.standing_orders"]),
    ("group_pot", "group_pot", ["bench.group_pot"]),
    ("purchases", "purchases", ["bench.purchases"]),
]


def run_phase(key: str, module: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    started = time.monotonic()
    env = {**os.environ, "BENCH_OUT": str(path), "PYTHONPATH": str(db.ROOT)}
    done = subprocess.run([db.PYTHON, "-m", *module], cwd=db.ROOT, env=env)
    elapsed = round(time.monotonic() - started, 1)
    if done.returncode != 0 or not path.stat().st_size:
        return {"crashed": True, "exit_code": done.returncode, "wall_seconds": elapsed}
    result = json.loads(path.read_text())
    path.unlink()
    result["wall_seconds"] = elapsed
    return result


def violations(found: dict) -> list[str]:
    problems = []
    for key, result in found.items():
        if result.get("crashed"):
            problems.append(f"{key}: crashed (exit {result['exit_code']})")
            continue
        for ledger_key in ("ledger", "ledger_after_load"):
            if ledger_key in result and not result[ledger_key]["ok"]:
                problems.append(f"{key}: verify_ledger failed: {result[ledger_key]['problems'][:3]}")
        if result.get("exactly_once") is False:
            problems.append(f"{key}: standing orders not executed exactly once")
        if result.get("pot_equals_sum") is False:
            problems.append(f"{key}: the pot does not equal the sum of the contributions")
        if result.get("uniform", {}).get("pots_equal_sums") is False:
            problems.append(f"{key}: a uniform pot does not equal the sum of its contributions")
        if result.get("revenue_equals_purchases") is False:
            problems.append(f"{key}: sales revenue did not rise by the sum of the purchases")
    return problems


def main() -> int:
    knobs = Knobs()
    unknown = set(knobs.only) - set(ALL_BENCHMARKS)
    if unknown:
        log(f"unknown BENCH_ONLY entries: {sorted(unknown)}; known: {ALL_BENCHMARKS}")
        return 2
    name = results.stamp()
    started = datetime.now(UTC)
    for vendor in ("postgresql", "sqlite"):
        db.recreate(target_for(vendor, knobs))
    found = {}
    for group, key, module in PHASES:
        if group in knobs.only:
            log(f"== {key} ==")
            found[key] = run_phase(key, module)
    problems = violations(found)
    document = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": results.machine(),
        "knobs": knobs.as_dict(),
        "results": found,
        "violations": problems,
    }
    from bench.report import markdown

    json_path, md_path = results.write(name, document, markdown(document))
    print(md_path.read_text())
    log(f"results: {json_path.relative_to(db.ROOT)} and {md_path.relative_to(db.ROOT)}")
    for problem in problems:
        log(f"VIOLATION {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
