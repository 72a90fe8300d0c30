"""/metrics for Prometheus: django-prometheus's request metrics (rate, latency, errors per view)
plus the business figures, read from the database at scrape time by a Collector, so the hot path
of a transfer changes nothing and every worker and node reports the same numbers.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory, before the
workers start): prometheus_client then aggregates every worker's request metrics, and
config/gunicorn_conf.py cleans up after dead workers (docs/operations-health.md).

The page is not public: it answers only to a caller in METRICS_ALLOWED_IPS that came directly (no
proxy header), or to one with `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets a 404."""

import hmac
import ipaddress
import logging
import os
from datetime import datetime

import prometheus_client
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

logger = logging.getLogger(__name__)
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def transaction_counts() -> list[tuple[str, str, str, int]]:
    """(type, status, failure_code, count) of the finished transactions: one grouped count over
    the status index, cheap enough for a scrape every 15 seconds."""
    from comrade.ledger.models import TransactionToken

    finished = [TransactionToken.Status.COMPLETED, TransactionToken.Status.FAILED]
    rows = (
        TransactionToken.objects.filter(status__in=finished)
        .values_list("transaction_type", "status", "failure_code")
        .annotate(count=Count("id"))
        .order_by()
    )
    return list(rows)


def reconciliation_backlog(*, now: datetime) -> tuple[int, int]:
    """(open external payments, of which flagged for staff), as the reconciliation view sees them."""
    from comrade.gateways.selectors import open_payments

    return open_payments(now=now).count(), open_payments(now=now, flagged_only=True).count()


class BusinessCollector(Collector):
    """Transfers completed and failed (by type and failure code) and the reconciliation backlog.
    A database that cannot be read reports comrade_business_metrics_up 0 instead of failing the
    whole scrape, so the request metrics still arrive."""

    def collect(self):
        up = GaugeMetricFamily("comrade_business_metrics_up", "1 when the business figures could be read.")
        try:
            counts, (open_count, flagged) = transaction_counts(), reconciliation_backlog(now=timezone.now())
        except DatabaseError:
            logger.warning("metrics: the business figures could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _transaction_families(counts)
        yield GaugeMetricFamily(
            "comrade_reconciliation_open_payments", "External payments not yet resolved.", value=open_count
        )
        yield GaugeMetricFamily(
            "comrade_reconciliation_flagged_payments", "Open external payments old enough to need staff.", value=flagged
        )


def _transaction_families(counts):
    finished = CounterMetricFamily(
        "comrade_transactions_finished", "Transactions that reached COMPLETED or FAILED.", labels=["type", "status"]
    )
    failures = CounterMetricFamily(
        "comrade_transaction_failures", "Failed transactions by failure code.", labels=["type", "code"]
    )
    totals: dict[tuple[str, str], int] = {}
    for kind, status, code, count in counts:
        totals[(kind, status)] = totals.get((kind, status), 0) + count
        if status == "FAILED":
            failures.add_metric([kind, code or "unknown"], count)
    for (kind, status), count in sorted(totals.items()):
        finished.add_metric([kind, status], count)
    return [finished, failures]


_business = CollectorRegistry(auto_describe=False)
_business.register(BusinessCollector())


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    if any(name in request.META for name in PROXY_HEADERS):
        return False  # came through a proxy: REMOTE_ADDR is the proxy's, not the caller's
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


def _request_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    body = prometheus_client.generate_latest(_request_registry()) + prometheus_client.generate_latest(_business)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
