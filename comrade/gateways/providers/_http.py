"""Small helpers shared by the adapters that talk HTTP with `requests` themselves."""

import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from comrade.gateways.providers.base import GatewayError, WebhookRejected


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup that also understands Django's META names (HTTP_X_Y)."""
    wanted = {name.lower(), "http_" + name.lower().replace("-", "_")}
    for key, value in headers.items():
        if key.lower() in wanted:
            return value
    return ""


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    provider: str,
    accept_5xx: bool = False,
    **kwargs,
) -> requests.Response:
    """One HTTP call that never follows redirects; network trouble, 5xx and 429 are retryable
    (unless `accept_5xx`, for APIs that put meaningful answers in a 500 body)."""
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout as exc:
        raise GatewayError(f"{provider} timed out", retryable=True) from exc
    except requests.RequestException as exc:
        raise GatewayError(f"{provider} unreachable: {type(exc).__name__}", retryable=True) from exc
    if (response.status_code >= 500 and not accept_5xx) or response.status_code == 429:
        raise GatewayError(
            f"{provider} answered {response.status_code}", retryable=True, status_code=response.status_code
        )
    return response


def body_json(response: requests.Response, *, provider: str) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError as exc:
        raise GatewayError(f"{provider} sent a non-JSON answer ({response.status_code})", retryable=True) from exc
    if not isinstance(payload, dict):
        raise GatewayError(f"{provider} sent an unexpected answer ({response.status_code})", retryable=True)
    return payload


def refusal(provider: str, response: requests.Response, *, code: str = "", message: str = "") -> GatewayError:
    detail = f": {code} {message}".rstrip() if code or message else ""
    return GatewayError(
        f"{provider} refused the request ({response.status_code}){detail}"[:300],
        retryable=False,
        status_code=response.status_code,
        code=code,
    )


def parse_json_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WebhookRejected("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookRejected("body is not a JSON object")
    return payload


def parse_signature_header(value: str, scheme: str = "v1") -> tuple[int, list[str]]:
    """`t=1700000000,v1=abc,v1=def` -> (1700000000, ["abc", "def"])."""
    pairs = [item.split("=", 1) for item in value.split(",") if "=" in item]
    stamps = [v.strip() for k, v in pairs if k.strip() == "t"]
    signatures = [v.strip() for k, v in pairs if k.strip() == scheme]
    if len(stamps) != 1 or not (stamps[0].isascii() and stamps[0].isdigit()) or not signatures:
        raise WebhookRejected("malformed signature header")
    return int(stamps[0]), signatures


def check_freshness(timestamp: float, *, tolerance: int, now: float | None = None) -> None:
    """Reject signatures older than `tolerance` seconds or more than `tolerance` in the future."""
    now = time.time() if now is None else now
    if timestamp < now - tolerance:
        raise WebhookRejected("timestamp too old")
    if timestamp > now + tolerance:
        raise WebhookRejected("timestamp in the future")


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), "sha256").hexdigest()


class TokenCache:
    """An OAuth client-credentials token, shared by threads and kept until `margin_seconds`
    before it expires. `fetch` asks the provider and returns its JSON ({"access_token",
    "expires_in"})."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], *, margin_seconds: float = 60):
        self._fetch = fetch
        self._margin = margin_seconds
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0

    def get(self) -> str:
        with self._lock:
            if not self._token or time.monotonic() >= self._expires:
                payload = self._fetch()
                self._token = str(payload.get("access_token", ""))
                lifetime = float(payload.get("expires_in") or 0)
                self._expires = time.monotonic() + max(lifetime - self._margin, 0)
            return self._token

    def forget(self) -> None:
        with self._lock:
            self._token, self._expires = "", 0.0
