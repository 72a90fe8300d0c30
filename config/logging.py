"""Structured logs (README "Running in production", docs/operations-logs.md).

Every line, from structlog loggers (django-structlog's request_started/request_finished, Celery
task events) and from the plain `logging.getLogger(__name__)` calls all over the code alike, goes
through one structlog ProcessorFormatter: JSON lines in production, readable text in development.
The context bound in structlog's contextvars (request_id and user_id by django-structlog's
RequestMiddleware, transaction_token by `ledger.services.transaction_open`, provider and event_id
by the webhook receiver, job and job_run_id by the scheduler, task_id in Celery) is added to every
line, so a request, its TXN- token and its webhook can be joined with one grep.

Nothing here may write a secret: the secret path segment of webhook URLs and secret-looking query
parameters are masked before any renderer sees them.
"""

import re
from typing import Any

import structlog

FORMATS = ("json", "text")
REDACTED = "[redacted]"
SECRET_PATH = re.compile(r"(/webhooks/[\w-]+/)[^/?\s]+")
SECRET_QUERY = re.compile(r"([?&](?:token|key|secret|password|signature|code|uid)=)[^&\s]*", re.IGNORECASE)
SECRET_KEYS = frozenset(
    {"password", "authorization", "secret", "access", "refresh", "api_key", "cookie", "card_number", "cvc", "iban"}
)


def redact_text(text: str) -> str:
    """Mask the parts of a URL (or a message quoting one) that are credentials."""
    return SECRET_QUERY.sub(rf"\1{REDACTED}", SECRET_PATH.sub(rf"\1{REDACTED}", text))


def redact_secrets(_logger: Any, _method: str, event_dict: dict) -> dict:
    """structlog processor: the request line and the message lose their secret parts; a value
    bound under a secret-looking key is dropped."""
    for key in ("event", "request"):
        if isinstance(event_dict.get(key), str):
            event_dict[key] = redact_text(event_dict[key])
    for key in SECRET_KEYS.intersection(event_dict):
        event_dict[key] = REDACTED
    return event_dict


def _shared_processors() -> list:
    """What every line gets, whether it was logged through structlog or plain logging."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]


def renderer_processors(fmt: str) -> list:
    """The last steps of the formatter: one JSON object per line, or coloured-less text."""
    if fmt == "json":
        return [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False, default=str),
        ]
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.dev.ConsoleRenderer(colors=False),
    ]


def formatter(fmt: str) -> structlog.stdlib.ProcessorFormatter:
    """A logging.Formatter rendering in `fmt`; also used directly by the tests."""
    return structlog.stdlib.ProcessorFormatter(
        processors=renderer_processors(fmt), foreign_pre_chain=_shared_processors()
    )


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING dict for Django: one console handler on the root logger, so every library's
    and every module's logger comes out in the same format."""
    if fmt not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        # Django's own "Bad Request: /path" lines repeat django-structlog's request_finished.
        "loggers": {"django.request": {"level": "ERROR"}},
    }


def configure_structlog() -> None:
    """structlog loggers hand their event dict to the standard library, whose handler (above)
    renders it: one pipeline, one format."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
