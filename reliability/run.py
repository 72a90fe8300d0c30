"""`make reliability`: build the world, then run each check in turn, print what it tried and what
it found as figures, write bench/results/reliability-<stamp>.json and .md, and exit 1 on any
violation. RELIABILITY_SHORT=1 is the CI form.

    python -m reliability.run
"""

import json
import sys
import time
import traceback
from datetime import UTC, datetime

from bench.infra import results
from reliability import access, bank, chaos, fuzz, invariants, storm, treasury
from reliability.world import Settings, build


def steps(world, settings: Settings) -> list:
    half = max(settings.seconds // 2, 10)
    return [
        ("bank workload", lambda: bank.run(world, settings, kills=0, seconds=half)),
        ("invariants after the workload", lambda: invariants.ledger(world.target)),
        ("bank workload with SIGKILL", lambda: bank.run(world, settings, kills=settings.kills, seconds=half)),
        ("invariants after the kills", lambda: invariants.ledger(world.target)),
        ("provider chaos and reconciliation", lambda: chaos.run(world, settings)),
        ("idempotency storm", lambda: storm.run(world)),
        ("access matrix", lambda: access.run(world)),
        ("schemathesis", lambda: fuzz.run(world, settings)),
        ("treasurer's group: concurrent contributions, approvals and payouts", lambda: treasury.run(world)),
        ("invariants after everything", lambda: invariants.ledger(world.target)),
    ]


def show(name: str, figures: dict, violations: list[str], seconds: float) -> None:
    print(f"\n== {name} ({seconds:.0f}s) ==", flush=True)
    for key, value in figures.items():
        if isinstance(value, list) and len(value) > 3:
            print(f"  {key}:")
            for line in value:
                print(f"    {line}")
        else:
            print(f"  {key}: {json.dumps(value, default=str)}")
    print(f"  violations: {len(violations)}")
    for violation in violations[:30]:
        print(f"    VIOLATION {violation}")
    sys.stdout.flush()


def main() -> int:
    settings = Settings()
    mode = "short" if settings.short else "full"
    print(
        f"reliability suite ({mode}): {settings.users} users, {settings.groups} groups, {settings.clients} clients,"
        f" {settings.seconds}s of load, {settings.kills} SIGKILLs, {settings.examples} examples per operation"
    )
    started = datetime.now(UTC)
    world = build(settings)
    report = {}
    for name, step in steps(world, settings):
        began = time.monotonic()
        try:
            figures, violations = step()
        except Exception:  # noqa: BLE001 - a check that crashes is a violation, and the others still run
            world.server.stop()
            figures, violations = {}, [f"the check crashed: {traceback.format_exc()[-2000:]}"]
        show(name, figures, violations, time.monotonic() - began)
        report[name] = {"figures": figures, "violations": violations, "seconds": round(time.monotonic() - began)}
    total = sum(len(r["violations"]) for r in report.values())
    rows = [[name, r["seconds"], len(r["violations"])] for name, r in report.items()]
    table = f"# Reliability run {started.isoformat()[:19]}Z ({mode})\n\n"
    table += results.markdown_table(["check", "seconds", "violations"], rows)
    document = {"started": started.isoformat(), "mode": mode, "machine": results.machine(), "checks": report}
    json_path, _ = results.write(f"reliability-{results.stamp()}", document, table)
    print(f"\n{table}\nviolations: {total}   (details: {json_path.relative_to(results.ROOT)})")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
