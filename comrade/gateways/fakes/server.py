"""A tiny threaded HTTP server that the provider fakes build on.

Each fake binds 127.0.0.1 on a free port in a daemon thread, routes requests to its own methods,
keeps its state in memory behind one lock and offers knobs for tests:

    fake.fail_next(status=500, path="/v1/")   # the next matching request gets that status
    fake.hang_next(seconds=1.0, path="")      # the next matching request stalls (then proceeds)
    fake.requests                              # every request seen: Seen(method, path, headers, body)
    fake.errors                                # tracebacks of bugs inside the fake itself

A hung request is still processed after the stall (as when a provider acts but the answer is lost),
so a retry with the same idempotency key must find the same object.

Webhooks and callbacks the fake sends
-------------------------------------
A fake queues a `Delivery` (url, body, headers) whenever one of its objects reaches a state the
real provider notifies about, if it knows where to send it (FakeStripe/FakePayPal: `webhook_url`;
FakeDaraja: the CallBackURL/ResultURL of the request). Nothing is sent until

    fake.deliver_pending(send=None)   # send what is queued (chaos applied); returns what was sent
    fake.auto_deliver = True          # or: send each delivery as soon as it is queued, in a thread

`send(delivery)` (else `fake.sender`, else an HTTP POST of the body with its headers to
`delivery.url`) may be a function that posts through Django's test client instead. `fake.delivered` lists what was
sent, in order (a duplicate appears twice).

Chaos
-----
For reliability runs, each fake can misbehave on purpose, set at runtime with
`fake.chaos(**settings)` (merged into the current settings; `fake.chaos_reset()` clears them), or,
for a fake running in another process, `POST /__chaos__` with the same settings as JSON
(`{"reset": true}` clears; `GET /__chaos__` shows the settings and `chaos_log`). Settings, all off
by default (`*_next` counts down one per affected call; `*_p` is a probability per call, drawn from
`random.Random(seed)` so a run can be replayed):

- API calls whose path starts with `path` ("" = all; /__chaos__ itself is never affected):
  - `timeout_next` / `timeout_p`: the fake performs the action, then sleeps `timeout_seconds`
    (default 3) before answering - past the client's timeout, so the answer is lost.
  - `error_after_next` / `error_after_p`: the fake performs the action, then answers 500 with the
    provider's error body (the classic lost answer: the provider acted, the client sees a failure).
  - `late_next` / `late_p`: the fake sleeps `late_seconds` (default 0.2), then acts and answers
    normally (slow, but within a sane client timeout).
- Deliveries (webhooks/callbacks the fake sends):
  - `duplicate_next` / `duplicate_p`: sent twice.
  - `delay_next` / `delay_p`: held back and sent after the rest of the current batch, or, with
    `auto_deliver`, `late_seconds` later (so it arrives after later events: out of order).
  - `drop_next` / `drop_p`: never sent (recorded in `dropped`).
  - `reorder`: every batch of `deliver_pending()` is sent newest first.

Every chaos effect is appended to `fake.chaos_log` as (effect, path-or-url), so a run can report
what it did.
"""

import json
import random
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

CHAOS_PATH = "/__chaos__"


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


@dataclass(frozen=True)
class Delivery:
    """A webhook or callback the fake sends: POST `body` with `headers` to `url`."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = ""


@dataclass
class Chaos:
    """What the fake does wrong on purpose; see the module docstring."""

    path: str = ""
    timeout_next: int = 0
    timeout_p: float = 0.0
    error_after_next: int = 0
    error_after_p: float = 0.0
    late_next: int = 0
    late_p: float = 0.0
    timeout_seconds: float = 3.0
    late_seconds: float = 0.2
    duplicate_next: int = 0
    duplicate_p: float = 0.0
    delay_next: int = 0
    delay_p: float = 0.0
    drop_next: int = 0
    drop_p: float = 0.0
    reorder: bool = False
    seed: int | None = None


@dataclass
class _Knob:
    path: str
    value: float


Route = tuple[str, re.Pattern, Callable[..., Reply]]
CALL_EFFECTS = ("timeout", "error_after", "late")
DELIVERY_EFFECTS = ("drop", "delay", "duplicate")


class FakeServer:
    """Subclasses fill `routes()` with (method, regex, handler(request, **groups) -> Reply)."""

    error_body: dict = {"error": "internal"}
    port: int = 0  # 0: any free port (tests); `python -m comrade.gateways.fakes` sets one

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Seen] = []
        self.errors: list[str] = []
        self._failures: list[_Knob] = []
        self._hangs: list[_Knob] = []
        self._chaos = Chaos()
        self._random = random.Random()
        self.chaos_log: list[tuple[str, str]] = []
        self.auto_deliver = False
        self.sender: Callable[[Delivery], Any] | None = None
        self.pending: list[Delivery] = []
        self.delivered: list[Delivery] = []
        self.dropped: list[Delivery] = []
        self.delivery_errors: list[str] = []
        self._routes: list[Route] = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes()]
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
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

    # --- chaos ----------------------------------------------------------------------------------

    def chaos(self, **settings: Any) -> dict[str, Any]:
        """Change some chaos settings (the others stay); returns them all."""
        known = {f.name for f in fields(Chaos)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown chaos settings: {', '.join(unknown)}")
        with self.lock:
            for name, value in settings.items():
                setattr(self._chaos, name, value)
            if "seed" in settings:
                self._random = random.Random(settings["seed"])
            return asdict(self._chaos)

    def chaos_reset(self) -> None:
        with self.lock:
            self._chaos = Chaos()
            self._random = random.Random()

    def _draw(self, effect: str, target: str) -> bool:
        """Whether `effect` strikes this call or delivery (counts down `<effect>_next` first)."""
        left = getattr(self._chaos, f"{effect}_next")
        if left > 0:
            setattr(self._chaos, f"{effect}_next", left - 1)
        elif not (getattr(self._chaos, f"{effect}_p") and self._random.random() < getattr(self._chaos, f"{effect}_p")):
            return False
        self.chaos_log.append((effect, target))
        return True

    def _call_effect(self, path: str) -> str:
        if path == CHAOS_PATH or not path.startswith(self._chaos.path):
            return ""
        return next((effect for effect in CALL_EFFECTS if self._draw(effect, path)), "")

    def _chaos_endpoint(self, request: Seen) -> Reply:
        if request.method == "GET":
            with self.lock:
                return Reply(200, {"chaos": asdict(self._chaos), "log": [list(item) for item in self.chaos_log]})
        try:
            settings = request.json() or {}
            if settings.pop("reset", False):
                self.chaos_reset()
            return Reply(200, {"chaos": self.chaos(**settings)})
        except (ValueError, TypeError, AttributeError) as exc:
            return Reply(400, {"error": str(exc)})

    # --- deliveries -----------------------------------------------------------------------------

    def queue_delivery(self, delivery: Delivery) -> None:
        """Queue it, or with `auto_deliver` send it now in a thread (chaos decided here, in order)."""
        with self.lock:
            if not self.auto_deliver:
                self.pending.append(delivery)
                return
            effect = self._delivery_effect(delivery)
            delay = self._chaos.late_seconds if effect == "delay" else 0.0
        if effect == "drop":
            self._send(delivery, effect, None)
            return
        threading.Thread(target=self._deliver_later, args=(delivery, effect, delay), daemon=True).start()

    def deliver_pending(self, send: Callable[[Delivery], Any] | None = None) -> list[Delivery]:
        """Send what is queued, with delivery chaos applied; returns what was sent, in order."""
        with self.lock:
            batch, self.pending = self.pending, []
            if self._chaos.reorder:
                batch.reverse()
                self.chaos_log.append(("reorder", f"{len(batch)} deliveries"))
            plans = [(delivery, self._delivery_effect(delivery)) for delivery in batch]
        ordered = [p for p in plans if p[1] != "delay"] + [p for p in plans if p[1] == "delay"]
        sent: list[Delivery] = []
        for delivery, effect in ordered:
            sent += self._send(delivery, effect, send)
        return sent

    def _deliver_later(self, delivery: Delivery, effect: str, delay: float) -> None:
        time.sleep(delay)
        self._send(delivery, effect, None)

    def _delivery_effect(self, delivery: Delivery) -> str:
        return next((effect for effect in DELIVERY_EFFECTS if self._draw(effect, delivery.url)), "")

    def _send(self, delivery: Delivery, effect: str, send: Callable[[Delivery], Any] | None) -> list[Delivery]:
        if effect == "drop":
            with self.lock:
                self.dropped.append(delivery)
            return []
        copies = [delivery, delivery] if effect == "duplicate" else [delivery]
        for copy in copies:
            with self.lock:
                self.delivered.append(copy)
            try:
                (send or self.sender or _post)(copy)
            except Exception:
                self.delivery_errors.append(traceback.format_exc())
        return copies

    # --- dispatch -------------------------------------------------------------------------------

    def dispatch(self, request: Seen) -> Reply:
        if request.path == CHAOS_PATH:
            return self._chaos_endpoint(request)
        with self.lock:
            self.requests.append(request)
            failure = self._take(self._failures, request.path)
            hang = self._take(self._hangs, request.path)
            effect = self._call_effect(request.path)
            timeout, late = self._chaos.timeout_seconds, self._chaos.late_seconds
        if hang is not None:
            time.sleep(hang)
        if failure is not None:
            return Reply(int(failure), self.error_body)
        if effect == "late":
            time.sleep(late)
        reply = self.authorize(request) or self._route(request)
        if effect == "timeout":
            time.sleep(timeout)
        if effect == "error_after":
            return Reply(500, self.error_body)
        return reply

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


def _post(delivery: Delivery) -> None:
    requests.post(delivery.url, data=delivery.body, headers=delivery.headers, timeout=10, allow_redirects=False)


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
