"""PayPal: Orders v2 in (create -> customer approves -> capture), capture refunds and Payouts out,
webhooks verified by PayPal's own verify-webhook-signature endpoint.

- OAuth2 client-credentials token, cached until shortly before it expires; an API call answered
  401 drops the cached token and is tried once more with a fresh one.
- Every create/capture/refund carries `PayPal-Request-Id` (PayPal's idempotency header); payouts
  are made idempotent by `sender_batch_id` = our idempotency key. A duplicate batch id means an
  earlier attempt reached PayPal, so it is reported as retryable (keep the money held).
- `get_payment` captures an APPROVED order and answers SUCCEEDED with the capture id as
  authorization_code.
- Webhook verification posts the transmission headers and the event to
  /v1/notifications/verify-webhook-signature and needs verification_status SUCCESS. We never fetch
  PAYPAL-CERT-URL ourselves; a cert URL off PayPal's https allow-list (`is_allowed_cert_url`) is
  rejected before PayPal is even asked.
- Amounts are decimal strings with the currency's exact number of decimals (`money.major_string`).
- Final or not (docs/provider_states.md): an order is final only once its capture is COMPLETED
  (or DECLINED/FAILED) or the order is VOIDED; a PENDING capture is AUTHORIZED, not final, and so
  is the webhook PAYMENT.CAPTURE.PENDING (OTHER); PAYMENT.CAPTURE.DENIED is final. A payout is
  judged by its item's transaction_status (the batch status SUCCESS only means "processed");
  UNCLAIMED and ONHOLD are not final.
- Orders cannot be cancelled through the API (they expire at PayPal). Money moves only when we
  capture, and only `get_payment` captures, so `cancel_payment` of an order nobody captured
  answers CANCELLED without calling anything that changes it; the caller must not ask
  `get_payment` about a payment it cancelled.
- Finding a payout whose batch id we never stored: we re-post a batch with the same
  sender_batch_id and NO items. PayPal refuses a sender_batch_id used in the last 30 days with a
  link to the original batch, which we then read; a batch without items can never pay anyone.
  Any other answer -> PENDING with failure_code "unknown_at_provider". A refund whose id we never
  stored cannot be found by our reference (Orders v2 has no lookup by PayPal-Request-Id without
  the capture): PENDING, "unknown_at_provider", amount 0.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from comrade.gateways.providers._http import TokenCache, body_json, header, parse_json_body, refusal, send
from comrade.gateways.providers.base import (
    EventKind,
    Gateway,
    GatewayError,
    PaymentRequest,
    PaymentSession,
    PaymentStatus,
    PayoutRequest,
    PayoutResult,
    RefundResult,
    WebhookEvent,
    WebhookRejected,
)
from comrade.gateways.providers.money import major_string, parse_decimal

CERT_HOSTS = frozenset({"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"})
TOKEN_MARGIN_SECONDS = 60
UNKNOWN = "unknown_at_provider"
CAPTURE_STATUS = {
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "PARTIALLY_REFUNDED": PaymentStatus.SUCCEEDED,
    "REFUNDED": PaymentStatus.SUCCEEDED,
    "PENDING": PaymentStatus.AUTHORIZED,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
}
REFUND_STATUS = {
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "PENDING": PaymentStatus.PENDING,
    "CANCELLED": PaymentStatus.CANCELLED,
    "FAILED": PaymentStatus.FAILED,
}
CAPTURE_EVENTS = {
    "PAYMENT.CAPTURE.COMPLETED": EventKind.PAYMENT_SUCCEEDED,
    "PAYMENT.CAPTURE.PENDING": EventKind.OTHER,
    "PAYMENT.CAPTURE.DENIED": EventKind.PAYMENT_FAILED,
    "PAYMENT.CAPTURE.DECLINED": EventKind.PAYMENT_FAILED,
    "PAYMENT.CAPTURE.REFUNDED": EventKind.REFUND_SUCCEEDED,
}
PAYOUT_FAILURES = {"FAILED", "BLOCKED", "DENIED", "RETURNED", "CANCELED", "REFUNDED", "REVERSED"}
PAYOUT_ITEM_STATUS = {
    "SUCCESS": PaymentStatus.SUCCEEDED,
    **{status: PaymentStatus.FAILED for status in PAYOUT_FAILURES},
    "CANCELED": PaymentStatus.CANCELLED,
}
BATCH_ID_LINK = re.compile(r"/v1/payments/payouts/([A-Za-z0-9]+)")
TRANSMISSION_HEADERS = {
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "cert_url": "PAYPAL-CERT-URL",
    "auth_algo": "PAYPAL-AUTH-ALGO",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_allowed_cert_url(url: str) -> bool:
    """True only for https://<a PayPal API host>/... with no credentials, odd port or tricks."""
    if not isinstance(url, str) or not url or any(c.isspace() or c == "\\" or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or parts.username is not None or parts.password is not None:
        return False
    host = parts.hostname or ""
    return host in CERT_HOSTS and port in (None, 443) and parts.netloc.lower() in (host, f"{host}:443")


@dataclass(frozen=True)
class PayPalConfig:
    client_id: str
    client_secret: str
    webhook_id: str
    base_url: str = "https://api-m.sandbox.paypal.com"
    brand_name: str = ""
    timeout: float = 10


class PayPalGateway(Gateway):
    name = "paypal"
    display_name = "PayPal"

    def __init__(self, config: PayPalConfig):
        self.config = config
        self.session = requests.Session()
        self._tokens = TokenCache(self._fetch_token, margin_seconds=TOKEN_MARGIN_SECONDS)

    # --- money in -------------------------------------------------------------------------------

    def create_payment(self, req: PaymentRequest) -> PaymentSession:
        unit = {
            "reference_id": req.reference[:256],
            "custom_id": req.reference[:127],
            "amount": {"currency_code": req.currency.upper(), "value": major_string(req.amount, req.currency)},
        }
        if req.description:
            unit["description"] = req.description[:127]
        body: dict[str, Any] = {"intent": "CAPTURE", "purchase_units": [unit]}
        if req.return_url:
            body["payment_source"] = {"paypal": {"experience_context": self._experience(req.return_url)}}
        order = self._ok(self._api("POST", "/v2/checkout/orders", json=body, request_id=req.idempotency_key))
        return PaymentSession(
            provider_reference=order["id"],
            status=PaymentStatus.PENDING,
            redirect_url=_link(order, "payer-action") or _link(order, "approve"),
            raw=order,
        )

    def _experience(self, return_url: str) -> dict[str, str]:
        context = {
            "return_url": return_url,
            "cancel_url": return_url,
            "user_action": "PAY_NOW",
            "shipping_preference": "NO_SHIPPING",
        }
        if self.config.brand_name:
            context["brand_name"] = self.config.brand_name[:127]
        return context

    def get_payment(self, provider_reference: str) -> PaymentSession:
        order = self._order(provider_reference)
        if order.get("status") == "APPROVED":
            order = self._capture(provider_reference)
        return _order_session(order)

    def cancel_payment(self, provider_reference: str) -> PaymentStatus:
        """Nothing to call: an order nobody captured moves no money and expires at PayPal. A
        captured order answers with its capture's status."""
        order = self._order(provider_reference)
        if order.get("status") == "COMPLETED" and _capture_of(order):
            return _order_session(order).status
        return PaymentStatus.CANCELLED

    def _order(self, order_id: str) -> dict[str, Any]:
        return self._ok(self._api("GET", f"/v2/checkout/orders/{_safe(order_id)}"))

    def _capture(self, order_id: str) -> dict[str, Any]:
        response = self._api(
            "POST", f"/v2/checkout/orders/{_safe(order_id)}/capture", json={}, request_id=f"capture-{order_id}"
        )
        issue = _issue(response)
        if issue == "ORDER_ALREADY_CAPTURED":
            return self._order(order_id)
        if issue == "INSTRUMENT_DECLINED":
            return {"id": order_id, "status": "DECLINED", "failure_code": issue, "error": response.text[:500]}
        return self._ok(response)

    # --- money out ------------------------------------------------------------------------------

    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        capture_id = _capture_of(self._order(provider_reference)).get("id")
        if not capture_id:
            raise GatewayError("paypal: this order has no capture to refund", retryable=False, code="NOT_CAPTURED")
        body = {"amount": {"value": major_string(amount, currency), "currency_code": currency.upper()}}
        refund = self._ok(
            self._api(
                "POST", f"/v2/payments/captures/{_safe(capture_id)}/refund", json=body, request_id=idempotency_key
            )
        )
        return _refund_result(refund, amount=amount)

    def get_refund(self, *, provider_reference: str, reference: str) -> RefundResult:
        if not provider_reference:
            return RefundResult(
                provider_reference="", status=PaymentStatus.PENDING, amount=Decimal(0), failure_code=UNKNOWN
            )
        refund = self._ok(self._api("GET", f"/v2/payments/refunds/{_safe(provider_reference)}"))
        return _refund_result(refund, amount=parse_decimal((refund.get("amount") or {}).get("value")) or Decimal(0))

    def payout(self, req: PayoutRequest) -> PayoutResult:
        kind = _recipient_type(req.destination)
        item = {
            "recipient_type": kind,
            "receiver": req.destination,
            "sender_item_id": req.reference[:63],
            "amount": {"value": major_string(req.amount, req.currency), "currency": req.currency.upper()},
            "note": (req.description or "Payout")[:4000],
        }
        body = {
            "sender_batch_header": {
                "sender_batch_id": req.idempotency_key[:256],
                "recipient_type": kind,
                "email_subject": "You have a payout",
            },
            "items": [item],
        }
        response = self._api("POST", "/v1/payments/payouts", json=body)
        if response.status_code == 400 and _issue(response, field="SENDER_BATCH_ID"):
            raise GatewayError(
                "paypal: this payout batch was already submitted; awaiting its webhook",
                retryable=True,
                status_code=400,
                code="DUPLICATE_BATCH",
            )
        batch = self._ok(response).get("batch_header") or {}
        failed = batch.get("batch_status") in ("DENIED", "CANCELED")
        return PayoutResult(
            provider_reference=str(batch.get("payout_batch_id", "")),
            status=PaymentStatus.FAILED if failed else PaymentStatus.PENDING,
            failure_reason=f"paypal: batch {batch.get('batch_status')}" if failed else "",
        )

    def get_payout(self, *, provider_reference: str, reference: str) -> PayoutResult:
        batch_id = provider_reference or self._batch_id_of(reference)
        if not batch_id:
            return PayoutResult(provider_reference="", status=PaymentStatus.PENDING, failure_code=UNKNOWN)
        return _payout_result(self._ok(self._api("GET", f"/v1/payments/payouts/{_safe(batch_id)}")))

    def _batch_id_of(self, reference: str) -> str:
        """The batch PayPal holds under sender_batch_id = `reference`, from the link in its
        duplicate refusal of a probe WITHOUT items (which can never pay anyone); "" if none."""
        if not reference:
            return ""
        probe = {"sender_batch_header": {"sender_batch_id": reference[:256]}, "items": []}
        response = self._api("POST", "/v1/payments/payouts", json=probe)
        if response.status_code != 400 or not _issue(response, field="SENDER_BATCH_ID"):
            return ""
        found = BATCH_ID_LINK.search(response.text)
        return found.group(1) if found else ""

    # --- webhooks -------------------------------------------------------------------------------

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent:
        event = parse_json_body(body)
        fields = {key: header(headers, name) for key, name in TRANSMISSION_HEADERS.items()}
        missing = sorted(name for key, name in TRANSMISSION_HEADERS.items() if not fields[key])
        if missing:
            raise WebhookRejected(f"missing {', '.join(missing)}")
        if not is_allowed_cert_url(fields["cert_url"]):
            raise WebhookRejected("PAYPAL-CERT-URL is not a PayPal certificate URL")
        if not self.config.webhook_id:
            raise WebhookRejected("PayPal webhook id is not configured")
        self._verify_with_paypal({**fields, "webhook_id": self.config.webhook_id, "webhook_event": event})
        return _event(event)

    def _verify_with_paypal(self, payload: dict[str, Any]) -> None:
        try:
            answer = self._ok(self._api("POST", "/v1/notifications/verify-webhook-signature", json=payload))
        except GatewayError as exc:
            raise WebhookRejected(f"could not verify with PayPal: {exc}"[:200]) from exc
        if answer.get("verification_status") != "SUCCESS":
            raise WebhookRejected("PayPal did not verify the signature")

    def confirm_event(self, event: WebhookEvent) -> WebhookEvent:
        """A capture success is re-read from the order: same capture, COMPLETED, same amount."""
        if event.kind != EventKind.PAYMENT_SUCCEEDED or not event.provider_reference:
            return event
        capture = _capture_of(self._order(event.provider_reference))
        amount = capture.get("amount") or {}
        if (
            capture.get("id") != event.authorization_code
            or capture.get("status") != "COMPLETED"
            or parse_decimal(amount.get("value")) != event.amount
            or amount.get("currency_code") != event.currency
        ):
            raise WebhookRejected("PayPal does not confirm this capture")
        return event

    # --- HTTP -----------------------------------------------------------------------------------

    def _api(self, method: str, path: str, *, json: dict | None = None, request_id: str = "") -> requests.Response:
        response = self._send(method, path, json, request_id, self._tokens.get())
        if response.status_code == 401:
            self._tokens.forget()
            response = self._send(method, path, json, request_id, self._tokens.get())
        return response

    def _send(self, method: str, path: str, body: dict | None, request_id: str, token: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id[:108]
        return send(
            self.session,
            method,
            f"{self.config.base_url}{path}",
            timeout=self.config.timeout,
            provider="paypal",
            json=body,
            headers=headers,
        )

    def _fetch_token(self) -> dict[str, Any]:
        response = send(
            self.session,
            "POST",
            f"{self.config.base_url}/v1/oauth2/token",
            timeout=self.config.timeout,
            provider="paypal",
            auth=(self.config.client_id, self.config.client_secret),
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        return self._ok(response)

    def _ok(self, response: requests.Response) -> dict[str, Any]:
        if 200 <= response.status_code < 300:
            return body_json(response, provider="paypal")
        raise refusal("paypal", response, code=_issue(response) or _error_name(response), message=_message(response))


# --- pure helpers ------------------------------------------------------------------------------


def _safe(identifier: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", identifier or ""):
        raise GatewayError("paypal: malformed identifier", retryable=False, code="INVALID_RESOURCE_ID")
    return identifier


def _recipient_type(destination: str) -> str:
    if EMAIL.match(destination):
        return "EMAIL"
    return "PHONE" if destination.lstrip("+").isdigit() else "PAYPAL_ID"


def _link(resource: dict[str, Any], rel: str) -> str:
    return next((str(link.get("href", "")) for link in resource.get("links") or [] if link.get("rel") == rel), "")


def _error_payload(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _error_name(response: requests.Response) -> str:
    payload = _error_payload(response)
    return str(payload.get("name") or payload.get("error") or "")


def _message(response: requests.Response) -> str:
    payload = _error_payload(response)
    return str(payload.get("message") or payload.get("error_description") or "")[:200]


def _issue(response: requests.Response, *, field: str = "") -> str:
    if response.status_code < 400:
        return ""
    for detail in _error_payload(response).get("details") or []:
        if not field or str(detail.get("field", "")).upper().endswith(field):
            return str(detail.get("issue", ""))
    return ""


def _capture_of(order: dict[str, Any]) -> dict[str, Any]:
    for unit in order.get("purchase_units") or []:
        captures = (unit.get("payments") or {}).get("captures") or []
        if captures:
            return captures[-1]
    return {}


def _order_session(order: dict[str, Any]) -> PaymentSession:
    status = order.get("status")
    capture = _capture_of(order)
    if status == "COMPLETED" and capture:
        return _capture_session(order, capture)
    mapped = {"VOIDED": PaymentStatus.CANCELLED, "DECLINED": PaymentStatus.FAILED}.get(status, PaymentStatus.PENDING)
    code = str(order.get("failure_code") or status) if mapped.is_final else ""
    return PaymentSession(
        provider_reference=order["id"],
        status=mapped,
        raw=order,
        redirect_url="" if mapped.is_final else _link(order, "payer-action") or _link(order, "approve"),
        failure_code=code,
        failure_reason=f"paypal: order {code}" if code else "",
    )


def _capture_session(order: dict[str, Any], capture: dict[str, Any]) -> PaymentSession:
    outcome = CAPTURE_STATUS.get(capture.get("status", ""), PaymentStatus.PENDING)
    amount = capture.get("amount") or {}
    paid = outcome == PaymentStatus.SUCCEEDED
    failed = outcome == PaymentStatus.FAILED
    code = str((capture.get("status_details") or {}).get("reason") or capture.get("status")) if failed else ""
    return PaymentSession(
        provider_reference=order["id"],
        status=outcome,
        authorization_code=str(capture.get("id", "")),
        amount=parse_decimal(amount.get("value")) if paid else None,
        currency=str(amount.get("currency_code", "")).upper() if paid else "",
        failure_code=code,
        failure_reason=f"paypal: capture {code}" if code else "",
        raw=order,
    )


def _refund_result(refund: dict[str, Any], *, amount: Decimal) -> RefundResult:
    status = REFUND_STATUS.get(refund.get("status", ""), PaymentStatus.PENDING)
    failed = status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED)
    code = str((refund.get("status_details") or {}).get("reason") or refund.get("status")) if failed else ""
    return RefundResult(
        provider_reference=str(refund["id"]),
        status=status,
        amount=amount,
        failure_code=code,
        failure_reason=f"paypal: refund {code}" if code else "",
    )


def _payout_result(payout: dict[str, Any]) -> PayoutResult:
    """Judged by the (single) item; a DENIED or CANCELED batch failed as a whole."""
    header = payout.get("batch_header") or {}
    batch_id = str(header.get("payout_batch_id", ""))
    if header.get("batch_status") in ("DENIED", "CANCELED"):
        code = str(header["batch_status"])
        return PayoutResult(batch_id, PaymentStatus.FAILED, code, f"paypal: batch {code}")
    items = payout.get("items") or []
    state = str(items[0].get("transaction_status", "")) if items else ""
    status = PAYOUT_ITEM_STATUS.get(state, PaymentStatus.PENDING)
    if not status.is_final or status == PaymentStatus.SUCCEEDED:
        return PayoutResult(batch_id, status)
    error = items[0].get("errors") or {}
    code = str(error.get("name") or state)
    return PayoutResult(batch_id, status, code, f"paypal: payout {state.lower()} {error.get('message', '')}".strip())


def _event(event: dict[str, Any]) -> WebhookEvent:
    event_type = str(event.get("event_type", ""))
    resource = event.get("resource") or {}
    if event_type.startswith("PAYMENT.PAYOUTS-ITEM."):
        return _payout_event(event, event_type.rsplit(".", 1)[-1], resource)
    kind = CAPTURE_EVENTS.get(event_type, EventKind.OTHER)
    amount = resource.get("amount") or {}
    order_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id", "")
    refund = kind == EventKind.REFUND_SUCCEEDED
    return WebhookEvent(
        event_id=str(event.get("id", "")),
        kind=kind,
        reference=str(resource.get("custom_id", "")),
        provider_reference=str(resource.get("id", "")) if refund else str(order_id),
        amount=parse_decimal(amount.get("value")),
        currency=str(amount.get("currency_code", "")).upper(),
        authorization_code="" if refund else str(resource.get("id", "")),
        failure_code=_capture_failure(resource, event_type) if kind == EventKind.PAYMENT_FAILED else "",
        failure_reason=f"paypal: {event_type}" if kind == EventKind.PAYMENT_FAILED else "",
        raw=event,
    )


def _capture_failure(resource: dict[str, Any], event_type: str) -> str:
    return str((resource.get("status_details") or {}).get("reason") or event_type.rsplit(".", 1)[-1])


def _payout_event(event: dict[str, Any], outcome: str, resource: dict[str, Any]) -> WebhookEvent:
    item = resource.get("payout_item") or {}
    amount = item.get("amount") or {}
    kind = (
        EventKind.PAYOUT_SUCCEEDED
        if outcome == "SUCCEEDED"
        else EventKind.PAYOUT_FAILED
        if outcome in PAYOUT_FAILURES
        else EventKind.OTHER
    )
    errors = resource.get("errors") or {}
    message = errors.get("message", "")
    failed = kind == EventKind.PAYOUT_FAILED
    reason = f"paypal: payout {outcome.lower()} {message}".strip() if failed else ""
    return WebhookEvent(
        event_id=str(event.get("id", "")),
        kind=kind,
        reference=str(item.get("sender_item_id", "")),
        provider_reference=str(resource.get("payout_batch_id", "")),
        amount=parse_decimal(amount.get("value")),
        currency=str(amount.get("currency", "")).upper(),
        failure_code=str(errors.get("name") or outcome) if failed else "",
        failure_reason=reason,
        raw=event,
    )
