"""Benchmark 2: history at scale (PostgreSQL).

Loads BENCH_HISTORY_TXNS transactions (1,000,000) with SQL, BENCH_HISTORY_HOT (100,000) of them to
or from one user, proves the ledger with verify_ledger, then times through gunicorn, one request at
a time, the first page of GET /payments/transactions/history/ and a page BENCH_HISTORY_DEEP rows
deep (a keyset cursor), the first page of a typical user (about total*2/users transactions), the
page-number list endpoint at the same depth for comparison, and EXPLAIN ANALYZE of the history
query for each.

    python -m bench.history
"""

import base64
import time

import requests

from bench.infra import db
from bench.infra.knobs import Knobs
from bench.infra.phase import emit, log, prepare, target_for
from bench.infra.server import Server, bearer_tokens
from bench.infra.stats import ratio, summary

HISTORY = "/payments/transactions/history/"
LIST = "/payments/transactions/"
HOT_PREFIX = "bench-hot-"
HOT_CENTS = 10_000_000  # 100,000.00: the hot user sends up to 50,000 transfers of at most 1.00


def load(knobs: Knobs, wallets) -> dict:
    from bench.infra.load import ensure_users, load_history
    from comrade.ledger.models import TransactionToken

    hot = ensure_users(prefix=HOT_PREFIX, count=1, cents=HOT_CENTS)[0]
    have = TransactionToken.objects.filter(description="Bench history").count()
    started = time.monotonic()
    if have < knobs.history_txns:
        log(f"loading {knobs.history_txns - have:,} history transactions with SQL")
        load_history(users=wallets, hot=hot, total=knobs.history_txns - have, hot_count=knobs.history_hot)
        analyze()
    loaded = time.monotonic() - started
    return {"hot": hot, "load_seconds": round(loaded, 1)}


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would have after a load of this size."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def deep_cursor(user_id: int, depth: int) -> tuple[str, int]:
    """The cursor DRF would hand out after `depth` rows: position = the id of the depth-th newest."""
    from comrade.accounts.models import User
    from comrade.ledger.selectors import transactions_of

    position = transactions_of(User(pk=user_id)).values_list("id", flat=True)[depth - 1]
    return base64.b64encode(f"p={position}".encode()).decode(), position


def time_get(session, url: str, params: dict, headers: dict, samples: int) -> dict:
    latencies, errors = [], 0
    started = time.monotonic()
    for _ in range(samples):
        began = time.perf_counter()
        response = session.get(url, params=params, headers=headers, timeout=120)
        if response.status_code != 200 or not response.json().get("results"):
            errors += 1
            continue
        latencies.append(time.perf_counter() - began)
    return summary(latencies, seconds=time.monotonic() - started, errors=errors)


def explain(user_id: int, position: int | None) -> dict:
    from django.db import connection

    from comrade.accounts.models import User
    from comrade.ledger.selectors import transactions_of

    query = transactions_of(User(pk=user_id))
    if position is not None:
        query = query.filter(id__lt=position)
    sql, params = query[:21].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else plan
    return {"execution_ms": round(plan["Execution Time"], 2), "plan": _plan_shape(plan["Plan"])}


def _plan_shape(node: dict, depth: int = 0) -> list[str]:
    line = "  " * depth + node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
    line += f" (rows {node.get('Actual Rows')}, {node.get('Actual Total Time')} ms)"
    return [line] + [row for child in node.get("Plans", []) for row in _plan_shape(child, depth + 1)]


def measure(target, knobs: Knobs, hot, typical) -> dict:
    cursor, position = deep_cursor(hot.user_id, knobs.history_deep_offset)
    tokens = bearer_tokens([hot.user_id, typical.user_id])
    headers = {"Authorization": f"Bearer {tokens[hot.user_id]}"}
    typical_headers = {"Authorization": f"Bearer {tokens[typical.user_id]}"}
    page = knobs.history_deep_offset // 20 + 1
    session = requests.Session()
    with Server(target, port=knobs.port, workers=knobs.workers, conn_max_age=knobs.conn_max_age) as server:
        time_get(session, server.base_url + HISTORY, {}, headers, 10)  # warm the workers
        runs = {
            "first_page": time_get(session, server.base_url + HISTORY, {}, headers, knobs.history_samples),
            "deep_page": time_get(
                session, server.base_url + HISTORY, {"cursor": cursor}, headers, knobs.history_samples
            ),
            "typical_user_first_page": time_get(
                session, server.base_url + HISTORY, {}, typical_headers, knobs.history_samples
            ),
            "list_first_page": time_get(session, server.base_url + LIST, {}, headers, knobs.history_samples // 4),
            "list_deep_page": time_get(
                session, server.base_url + LIST, {"page": page}, headers, knobs.history_samples // 4
            ),
        }
    runs["deep_vs_first_p50"] = ratio(runs["deep_page"]["p50_ms"], runs["first_page"]["p50_ms"])
    runs["deep_vs_first_p99"] = ratio(runs["deep_page"]["p99_ms"], runs["first_page"]["p99_ms"])
    runs["explain_first"] = explain(hot.user_id, None)
    runs["explain_deep"] = explain(hot.user_id, position)
    runs["explain_typical_user"] = explain(typical.user_id, None)
    return runs


def main() -> None:
    knobs = Knobs()
    target = target_for("postgresql", knobs)
    wallets = prepare(target, knobs)
    loaded = load(knobs, wallets)
    hot = loaded.pop("hot")
    from comrade.accounts.models import User
    from comrade.ledger.models import TransactionToken
    from comrade.ledger.selectors import transactions_of

    result = {
        "database": target.label,
        "transactions": TransactionToken.objects.count(),
        "hot_user_transactions": transactions_of(User(pk=hot.user_id)).count(),
        "typical_user_transactions": transactions_of(User(pk=wallets[0].user_id)).count(),
        "deep_offset": knobs.history_deep_offset,
        **loaded,
    }
    log(f"verify_ledger over {result['transactions']:,} transactions")
    result["ledger_after_load"] = db.verify_ledger(target)
    log("timing the first and the deep history page")
    result.update(measure(target, knobs, hot, wallets[0]))
    emit(result)


if __name__ == "__main__":
    main()
