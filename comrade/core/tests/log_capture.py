"""A context manager that collects what the console handler would print, rendered as JSON lines by the
real formatter (config/logging.py), so tests read the fields an operator would grep."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from config.logging import formatter


class Captured:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]

    def where(self, **fields) -> list[dict]:
        return [line for line in self.lines() if all(line.get(k) == v for k, v in fields.items())]


@contextmanager
def capture_json_logs() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    structlog.contextvars.clear_contextvars()
    try:
        yield Captured(stream)
    finally:
        structlog.contextvars.clear_contextvars()
        root.removeHandler(handler)
        root.setLevel(old_level)
