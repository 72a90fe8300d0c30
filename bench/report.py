"""The markdown table of one `make bench` run (the JSON next to it holds every figure)."""

from bench.infra.results import markdown_table

PATHS = [
    ("http_with_key", "HTTP (gunicorn), Idempotency-Key"),
    ("http_without_key", "HTTP (gunicorn), no key"),
    ("http_single", "HTTP (gunicorn), Idempotency-Key, 1 client"),
    ("http_no_money", "HTTP (gunicorn), authenticated GET that moves no money"),
    ("http_no_money_single", "HTTP (gunicorn), authenticated GET that moves no money, 1 client"),
    ("service", "service layer"),
    ("python_sql", "bare SQL from Python (psycopg / sqlite3)"),
    ("pgbench_schema", "pgbench, our schema and triggers (the floor)"),
    ("pgbench_schema_single", "pgbench, our schema, 1 client"),
    ("pgbench_minimal", "pgbench, minimal tables, no triggers"),
]


def markdown(document: dict) -> str:
    machine, knobs, found = document["machine"], document["knobs"], document["results"]
    parts = [
        f"# Benchmark run {document['started'][:19]}Z\n",
        f"{machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gb']} GB, Python {machine['python']},"
        f" {machine['postgres']}, commit {machine['commit']}. Clients {knobs['clients']},"
        f" gunicorn workers {knobs['workers']}, {knobs['seconds']}s per measurement"
        f" after {knobs['warmup']}s warm-up.\n",
    ]
    parts += [
        _transfers(found),
        _history(found),
        _standing_orders(found),
        _group_pot(found),
        _purchases(found),
        _ledger(found),
    ]
    if document["violations"]:
        parts.append("## Violations\n\n" + "\n".join(f"- {v}" for v in document["violations"]) + "\n")
    return "\n".join(p for p in parts if p)


def _transfers(found: dict) -> str:
    rows, ratio_rows = [], []
    for key in ("transfers_postgresql", "transfers_sqlite"):
        result = found.get(key)
        if not result or result.get("crashed"):
            continue
        floor = result.get("pgbench_schema", result.get("python_sql", {})).get("per_second")
        for path, label in PATHS:
            r = result.get(path)
            if not r:
                continue
            share = f"{r['per_second'] / floor:.3f}" if floor else "-"
            rows.append([result["database"], label, r["per_second"], r["p50_ms"], r["p99_ms"], r["errors"], share])
        ratio_rows += [[result["database"], name, f"{value:.3f}"] for name, value in result.get("ratios", {}).items()]
    if not rows:
        return ""
    headers = ["database", "path", "transfers/s", "p50 ms", "p99 ms", "errors", "/ floor"]
    note = (
        "The floor is pgbench on our schema on PostgreSQL, and the bare SQL from Python on SQLite"
        " (no pgbench there).\n\n"
    )
    table = "## Transfers\n\n" + note + markdown_table(headers, rows)
    if ratio_rows:
        table += "\n" + markdown_table(["database", "ratio", "value"], ratio_rows)
    return table


def _history(found: dict) -> str:
    result = found.get("history")
    if not result or result.get("crashed"):
        return ""
    rows = [
        [label, result[key]["ops"], result[key]["p50_ms"], result[key]["p99_ms"]]
        for key, label in (
            ("first_page", "history, first page (hot user)"),
            ("deep_page", f"history, {result['deep_offset']:,} rows deep (cursor)"),
            ("typical_user_first_page", "history, first page (typical user)"),
            ("list_first_page", "list ?page=1"),
            ("list_deep_page", f"list ?page=N, {result['deep_offset']:,} rows deep (offset)"),
        )
    ]
    head = (
        f"## History\n\n{result['transactions']:,} transactions; the hot user has"
        f" {result['hot_user_transactions']:,}, a typical user {result['typical_user_transactions']:,}."
        f" Loaded in {result['load_seconds']}s. Deep / first page: p50 x{result['deep_vs_first_p50']},"
        f" p99 x{result['deep_vs_first_p99']}.\n\n"
    )
    return head + markdown_table(["request", "samples", "p50 ms", "p99 ms"], rows)


def _standing_orders(found: dict) -> str:
    r = found.get("standing_orders")
    if not r or r.get("crashed"):
        return ""
    service = r.get("service_transfers", {}).get("per_second", "-")
    over = r.get("ratios", {}).get("standing_orders_over_service_transfers")
    rows = [
        [
            r["orders_loaded"],
            r["schedulers"],
            r["seconds"],
            r["orders_per_second"],
            service,
            "-" if over is None else f"{over:.3f}",
            r["orders_paid_more_than_once"],
            r["orders_paid_zero_times"],
            r["second_pass_handled"],
            "yes" if r["exactly_once"] else "NO",
        ]
    ]
    headers = [
        "due orders",
        "schedulers",
        "seconds",
        "orders/s",
        "service transfers/s (same run)",
        "standing_orders_over_service_transfers",
        "paid twice",
        "not paid",
        "second pass",
        "exactly once",
    ]
    return "## Standing orders\n\n" + markdown_table(headers, rows)


def _group_pot(found: dict) -> str:
    r = found.get("group_pot")
    if not r or r.get("crashed"):
        return ""
    c = r["contributions"]
    rows = [
        [
            f"hot: {r['members']} members, one pot",
            c["ops"],
            c["errors"],
            c["per_second"],
            c["p50_ms"],
            c["p99_ms"],
            r["pot"],
            "yes" if r["pot_equals_sum"] else "NO",
        ]
    ]
    uniform = r.get("uniform")
    if uniform:
        u = uniform["contributions"]
        rows.append(
            [
                f"uniform: {uniform['pots']} pots, one per member",
                u["ops"],
                u["errors"],
                u["per_second"],
                u["p50_ms"],
                u["p99_ms"],
                uniform["sum_of_pots"],
                "yes" if uniform["pots_equal_sums"] else "NO",
            ]
        )
    headers = ["contributions to", "contributions", "refused", "per second", "p50 ms", "p99 ms", "pot", "pot == sum"]
    table = "## Hot group pot\n\n" + markdown_table(headers, rows)
    return table + _ratio_table(r)


def _purchases(found: dict) -> str:
    r = found.get("purchases")
    if not r or r.get("crashed"):
        return ""
    labels = [
        ("transfers", "service-layer transfers among the same users"),
        ("purchases", f"wallet purchases, revenue in {r['revenue_shards']} shards"),
        ("purchases_one_revenue_account", "wallet purchases, one revenue account"),
        ("transfers_single", "service-layer transfers, 1 client"),
        ("purchases_single", "wallet purchases, 1 client"),
    ]
    rows = [
        [label, r[key]["per_second"], r[key]["p50_ms"], r[key]["p99_ms"], r[key]["errors"]]
        for key, label in labels
        if key in r
    ]
    head = (
        f"## Purchases (no platform-wide hot spot)\n\n{r['clients']} clients, random users among"
        f" {r['users']:,}; sales revenue rose by the sum of the purchases:"
        f" {'yes' if r['revenue_equals_purchases'] else 'NO'}.\n\n"
    )
    return head + markdown_table(["operation", "per second", "p50 ms", "p99 ms", "errors"], rows) + _ratio_table(r)


def _ratio_table(result: dict) -> str:
    rows = [[name, f"{value:.3f}"] for name, value in result.get("ratios", {}).items()]
    return "\n" + markdown_table(["ratio", "value"], rows) if rows else ""


def _ledger(found: dict) -> str:
    rows = []
    for key, result in found.items():
        if result.get("crashed"):
            rows.append([key, "CRASHED", "-"])
            continue
        for ledger_key in ("ledger_after_load", "ledger"):
            if ledger_key in result:
                rows.append(
                    [
                        f"{key} ({ledger_key})",
                        "ok" if result[ledger_key]["ok"] else "FAILED",
                        result[ledger_key]["seconds"],
                    ]
                )
    return "## verify_ledger\n\n" + markdown_table(["after", "result", "seconds"], rows) if rows else ""
