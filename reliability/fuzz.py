"""schemathesis against /api/schema/ as an authenticated user with money: every operation, a stated
number of examples each (RELIABILITY_EXAMPLES), two checks: no 5xx (not_a_server_error) and every
response matches the schema (response_schema_conformance). The tracebacks of any 500 are taken
from the server's log."""

import json
import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.infra.db import ROOT
from reliability.world import Settings, World

SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
CHECKS = "not_a_server_error,response_schema_conformance"
OUTPUT_LOG = Path("/tmp/comrade-reliability-schemathesis.log")


def command(world: World, settings: Settings, user_id: int, report: Path) -> list[str]:
    phases = "examples,fuzzing" if settings.short else "examples,coverage,fuzzing,stateful"  # full: at most 240s
    return [
        str(SCHEMATHESIS), "run", f"{world.server.base_url}/api/schema/",
        "-H", f"Authorization: Bearer {world.tokens[user_id]}",
        "--max-examples", str(settings.examples),
        "--checks", CHECKS,
        "--phases", phases,
        "--seed", "20261129",
        "--workers", "2",
        "--request-timeout", "60",
        "--report", "ndjson", "--report-ndjson-path", str(report),
        "--output-truncate", "true",
    ] + ([] if settings.short else ["--max-time", "240"])  # fmt: skip


def run(world: World, settings: Settings) -> tuple[dict, list[str]]:
    if not SCHEMATHESIS.exists():
        return {"skipped": "schemathesis is not installed (pip install '.[reliability]')"}, [
            "schemathesis is not installed"
        ]
    user = world.users[1]
    log_start = world.server.log_path.stat().st_size if world.server.log_path.exists() else 0
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "events.ndjson"
        world.server.start()
        try:
            done = subprocess.run(
                command(world, settings, user.user_id, report), capture_output=True, text=True, cwd=tmp
            )  # its cache directory (.schemathesis/) goes to the temporary directory
        finally:
            world.server.stop()
        events = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    output = done.stdout + done.stderr
    OUTPUT_LOG.write_text(output)
    figures = summarize(output, events)
    figures["full_output"] = str(OUTPUT_LOG)
    figures["examples_per_operation"] = settings.examples
    figures["exit_code"] = done.returncode
    tracebacks = server_errors(world, log_start)
    figures["server_error_causes"] = tracebacks
    figures["schemathesis_internal_errors"] = tool_errors(output)
    violations = [f"schemathesis: {line}" for line in failure_lines(output)]
    violations += [f"server 500: {t}" for t in tracebacks]
    unexplained = done.returncode == 1 and not violations and not figures["schemathesis_internal_errors"]
    if done.returncode not in (0, 1) or unexplained:
        violations.append(f"schemathesis exited {done.returncode}: {output[-1500:]}")
    return figures, violations


def summarize(output: str, events: list[dict]) -> dict:
    """Figures from the ndjson events when present, else from the summary lines of the output."""
    kinds = Counter(next(iter(e)) for e in events if isinstance(e, dict) and e)
    figures = {"events": dict(kinds)} if kinds else {}
    for label in ("operations", "test cases", "API operations"):
        match = re.search(rf"(\d+)\s+{label}", output, re.IGNORECASE)
        if match:
            figures[label.replace(" ", "_")] = int(match.group(1))
    tail = [line.strip() for line in output.splitlines() if line.strip()][-12:]
    figures["summary"] = tail
    return figures


def failure_lines(output: str) -> list[str]:
    """One line per operation that failed a check: its name, the check and the first message.
    Sections without a check (schemathesis's own runtime errors) are not API failures."""
    found = []
    for block in _sections(output):
        operation, lines = block
        checks = [i for i, line in enumerate(lines) if re.match(r"^- ST\d+", line)]
        if checks:
            details = [f"{lines[i][2:]}: {lines[i + 1] if i + 1 < len(lines) else ''}" for i in checks[:2]]
            found.append(f"{operation} -> {'; '.join(details)}")
    return found


def tool_errors(output: str) -> list[str]:
    return [f"{operation}: {lines[1] if len(lines) > 1 else ''}"[:200] for operation, lines in _sections(output)
            if not any(re.match(r"^- ST\d+", line) for line in lines)]  # fmt: skip


def _sections(output: str) -> list[tuple[str, list[str]]]:
    sections = []
    for block in re.split(r"^_{3,} ", output, flags=re.MULTILINE)[1:]:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines:
            sections.append((lines[0].rstrip("_ ").strip(), lines[1:]))
    return sections


LIST_ACTIONS = {"my_groups", "history", "create_transaction", "my_profile", "balance", "payment_methods",
                "set_default_payment_method", "recommendations", "plans"}  # fmt: skip


def _masked(path: str) -> str:
    """/payments/<resource>/<anything but a list action>/... -> /payments/<resource>/{id}/..."""
    parts = path.split("/")
    if len(parts) > 4 and parts[1] == "payments" and parts[3] not in LIST_ACTIONS:
        parts[3] = "{id}"
    return "/".join(parts)


def server_errors(world: World, start: int) -> list[str]:
    """The distinct causes of the 500s the server logged since `start`: endpoint (ids masked),
    exception, and how often."""
    if not world.server.log_path.exists():
        return []
    with world.server.log_path.open() as handle:
        handle.seek(start)
        text = handle.read()
    causes: Counter = Counter()
    for block in re.split(r"(?=Internal Server Error: )", text)[1:]:
        lines = [line for line in block.splitlines() if line.strip()]
        path = _masked(lines[0].split(": ", 1)[1])
        last = next((line for line in reversed(lines) if re.match(r"^\w[\w.]*(Error|Exception)\b", line)), lines[-1])
        cause = re.sub(r"(got|base 10:) .*", r"\1 ...", last)[:160]
        causes[f"{path} -> {cause}"] += 1
    return [f"{count} x {cause}" for cause, count in causes.most_common()]
