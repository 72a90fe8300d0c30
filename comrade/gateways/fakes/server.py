"""A tiny threaded HTTP server that the provider fakes build on.

Each fake binds 127.0.0.1 on a free port in a daemon thread, routes requests to its own methods,
keeps its state in memory behind one lock and offers knobs for tests:

    fake.fail_next(status=500, path="/v1/")   # the next matching request gets that status
    fake.hang_next(seconds=1.0, path="")      # the next matching request stalls (then proceeds)
    fake.requests                              # every request seen: Seen(method, path, headers, body)
    fake.errors                                # tracebacks of bugs inside the fake itself

A hung request is still processed after the stall (as when a provider acts but the answer is lost),
so a retry with the same idempotency key must find the same object.
"""

import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass
class _Knob:
    path: str
    value: float


Route = tuple[str, re.Pattern, Callable[..., Reply]]


class FakeServer:
    """Subclasses fill `routes()` with (method, regex, handler(request, **groups) -> Reply)."""

    error_body: dict = {"error": "internal"}

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Seen] = []
        self.errors: list[str] = []
        self._failures: list[_Knob] = []
        self._hangs: list[_Knob] = []
        self._routes: list[Route] = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes()]
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, name=type(self).__name__, daemon=True
        )
        self._thread.start()

    def routes(self) -> list[tuple[str, str, Callable[..., Reply]]]:
        return []

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, status: int = 500, *, path: str = "") -> None:
        with self.lock:
            self._failures.append(_Knob(path, status))

    def hang_next(self, seconds: float, *, path: str = "") -> None:
        with self.lock:
            self._hangs.append(_Knob(path, seconds))

    def seen(self, path_prefix: str = "", method: str = "") -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path_prefix) and (not method or r.method == method)]

    def dispatch(self, request: Seen) -> Reply:
        with self.lock:
            self.requests.append(request)
            failure = self._take(self._failures, request.path)
            hang = self._take(self._hangs, request.path)
        if hang is not None:
            time.sleep(hang)
        if failure is not None:
            return Reply(int(failure), self.error_body)
        return self.authorize(request) or self._route(request)

    def authorize(self, request: Seen) -> Reply | None:
        """Return an error Reply to refuse the request before routing; None lets it through."""
        return None

    def _take(self, knobs: list[_Knob], path: str) -> float | None:
        for knob in knobs:
            if path.startswith(knob.path):
                knobs.remove(knob)
                return knob.value
        return None

    def _route(self, request: Seen) -> Reply:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                with self.lock:
                    return handler(request, **match.groupdict())
            allowed = allowed or bool(match)
        return Reply(405 if allowed else 404, self.not_found_body(request))

    def not_found_body(self, request: Seen) -> Any:
        return {"error": f"no route for {request.method} {request.path}"}


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            url = urlsplit(self.path)
            body = self.rfile.read(length)
            request = Seen(self.command, url.path, parse_qs(url.query), dict(self.headers.items()), body)
            try:
                reply = fake.dispatch(request)
            except Exception:
                fake.errors.append(traceback.format_exc())
                reply = Reply(500, fake.error_body)
            self._write(reply)

        def _write(self, reply: Reply) -> None:
            payload = reply.encoded()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args) -> None:
            return

    return Handler
