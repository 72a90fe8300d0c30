"""Error tracking with Sentry, on only when SENTRY_DSN is set (docs/operations-logs.md).

People's money and credentials must not leave for a third party inside an error report, so
`send_default_pii` stays off (no user emails, IPs, cookies) and every event, transaction and
breadcrumb passes through `scrub_event` first: money fields, secrets, card-like and IBAN-like
numbers and bearer tokens are replaced, and request bodies are dropped whole. The scrubber is a
pure function of the event, so it is tested on a realistic event without a Sentry server.
"""

import logging
import re
from typing import Any

FILTERED = "[Filtered]"
MONEY_KEYS = ("amount", "balance", "comrade_balance", "total_sent", "total_received", "price", "fee")
SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "api_key",
    "apikey",
    "credential",
    "card",
    "cvc",
    "cvv",
    "iban",
    "passkey",
    "signature",
)
# Identifiers that only look like secrets: the TXN- token is how an operator finds the transaction.
KEPT_KEYS = frozenset({"transaction_token", "event_id", "trace_id", "span_id", "parent_span_id", "release", "sdk"})
VALUE_PATTERNS = (
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[card]"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"), "[iban]"),
    (re.compile(r"(?i)\bbearer\s+\S+"), "Bearer [Filtered]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), "[jwt]"),
    (re.compile(r"(/webhooks/[\w-]+/)[^/?\s]+"), r"\1[Filtered]"),
    (
        re.compile(
            r"(?i)\b((?:comrade_)?balance|amount|total_sent|total_received)"
            r"""(['"]?\s*[:=]\s*(?:Decimal\()?['"]?)-?[\d.,]+"""
        ),
        r"\1\2[Filtered]",
    ),
)


def _is_sensitive_key(key: str) -> bool:
    name = key.lower().replace("-", "_")
    if name in KEPT_KEYS:
        return False
    return name.endswith(MONEY_KEYS) or any(part in name for part in SECRET_KEY_PARTS)


def scrub_text(text: str) -> str:
    for pattern, replacement in VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any) -> Any:
    """Recursively replace sensitive values in dicts, lists and strings; keys are kept, so the
    report still shows that a field was there."""
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and _is_sensitive_key(key) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send (and before_send_transaction): the request body never leaves, and
    nothing else does unscrubbed. Identifiers at the top level (event_id, timestamps, the SDK
    description) are left as they are."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
    return {key: item if key in KEPT_KEYS else scrub(item) for key, item in event.items()}


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return scrub(crumb)


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float, release: str = "") -> bool:
    """Called once from settings. Without a DSN nothing is imported or started; returns whether
    Sentry was started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    return True
