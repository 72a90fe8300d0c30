"""A fake PayPal REST API: OAuth2 tokens, Orders v2, capture refunds, Payouts and webhook
signature verification.

Like the real API: client-credentials tokens from POST /v1/oauth2/token (HTTP basic auth) that
expire after `token_ttl` seconds; every other call needs `Authorization: Bearer <token>`;
`PayPal-Request-Id` replays the first answer; orders go CREATED/PAYER_ACTION_REQUIRED -> APPROVED
(the customer, or `approve()`) -> COMPLETED on capture; errors are `{"name", "message",
"details": [{"field", "issue", "description"}]}`. Payout batches reject a reused sender_batch_id.

Reads as the real API: GET /v2/checkout/orders/{id} (captures under
purchase_units[].payments.captures), GET /v2/payments/refunds/{id}, GET /v1/payments/payouts/{id}
(batch_header plus items[] with payout_item_id and transaction_status) and
GET /v1/payments/payouts-item/{id}; unknown ids answer 404 RESOURCE_NOT_FOUND /
INVALID_RESOURCE_ID. A payout batch whose sender_batch_id was used before is refused (400
USER_BUSINESS_ERROR, field SENDER_BATCH_ID) with a link to the original batch, as PayPal documents;
this check comes before any validation of the items.

Knobs: approve(order_id), void(order_id), capture_outcome ("COMPLETED", "PENDING", "DECLINED" or
"INSTRUMENT_DECLINED" for what the next capture does), settle_capture(order_id, status=),
refund_status (what new refunds report), settle_refund(refund_id, status=),
settle_payout(batch_id, status=, error=) for the item's transaction_status (SUCCESS, FAILED,
UNCLAIMED, RETURNED, BLOCKED, ...), plus fail_next/hang_next and the chaos settings of FakeServer.

Webhooks: `signed_webhook(event_type, resource)` returns (body, headers) with PAYPAL-TRANSMISSION-*
headers; the fake's verify-webhook-signature answers SUCCESS only for a transmission it issued
itself, with the same headers, the configured webhook id and the same event. With `webhook_url`
set, captures, refunds and payout item changes queue the event PayPal would send
(PAYMENT.CAPTURE.COMPLETED/PENDING/DENIED, PAYMENT.CAPTURE.REFUNDED, PAYMENT.PAYOUTS-ITEM.<status>)
as a Delivery; see fakes.server for sending them and for delivery chaos.
"""

import base64
import hashlib
import hmac
import json
import secrets
import string
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode

from comrade.gateways.fakes.server import Delivery, FakeServer, Reply, Seen

CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
ZERO_DECIMAL = {"HUF", "JPY", "TWD"}
PAYOUT_ITEM_EVENTS = {
    "SUCCESS": "SUCCEEDED",
    "FAILED": "FAILED",
    "BLOCKED": "BLOCKED",
    "DENIED": "DENIED",
    "RETURNED": "RETURNED",
    "REFUNDED": "REFUNDED",
    "REVERSED": "REVERSED",
    "UNCLAIMED": "UNCLAIMED",
    "ONHOLD": "HELD",
    "CANCELED": "CANCELED",
}
CAPTURE_EVENTS = {"COMPLETED": "COMPLETED", "PENDING": "PENDING", "DECLINED": "DENIED", "FAILED": "DENIED"}


def _paypal_id(length: int = 17) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _error(status: int, name: str, message: str, *, issue: str = "", field: str = "") -> Reply:
    details = [{"field": field, "issue": issue, "description": message}] if issue else []
    return Reply(status, {"name": name, "message": message, "debug_id": secrets.token_hex(6), "details": details})


def _not_found() -> Reply:
    return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", issue="INVALID_RESOURCE_ID")


def _money_problem(value, currency: str) -> str:
    if not isinstance(value, str) or not currency:
        return "MISSING_REQUIRED_PARAMETER"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return "INVALID_PARAMETER_VALUE"
    decimals = 0 if currency.upper() in ZERO_DECIMAL else 2
    if amount <= 0 or amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        return "DECIMAL_PRECISION" if amount > 0 else "INVALID_PARAMETER_VALUE"
    return ""


class FakePayPal(FakeServer):
    error_body = {"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error has occurred."}

    def __init__(
        self,
        *,
        client_id: str = "paypal-client",
        client_secret: str = "paypal-secret",
        webhook_id: str = "WH1234567890",
        token_ttl: int = 32400,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.webhook_id, self.token_ttl = webhook_id, token_ttl
        self.tokens: dict[str, float] = {}
        self.orders: dict[str, dict] = {}
        self.captures: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.payouts: dict[str, dict] = {}
        self.transmissions: dict[str, dict] = {}
        self.replays: dict[str, tuple[str, Reply]] = {}
        self.capture_outcome = "COMPLETED"
        self.refund_status = "COMPLETED"
        self.webhook_url = ""
        self._signing_key = secrets.token_bytes(32)
        super().__init__()

    def routes(self):
        return [
            ("POST", r"/v1/oauth2/token", self._token),
            ("POST", r"/v2/checkout/orders", self._create_order),
            ("GET", r"/v2/checkout/orders/(?P<order_id>[A-Z0-9]+)", self._get_order),
            ("POST", r"/v2/checkout/orders/(?P<order_id>[A-Z0-9]+)/capture", self._capture),
            ("POST", r"/v2/payments/captures/(?P<capture_id>[A-Z0-9]+)/refund", self._refund),
            ("GET", r"/v2/payments/refunds/(?P<refund_id>[A-Z0-9]+)", self._get_refund),
            ("POST", r"/v1/payments/payouts", self._create_payout),
            ("GET", r"/v1/payments/payouts/(?P<batch_id>[A-Z0-9]+)", self._get_payout),
            ("GET", r"/v1/payments/payouts-item/(?P<item_id>[A-Z0-9]+)", self._get_payout_item),
            ("POST", r"/v1/notifications/verify-webhook-signature", self._verify),
            ("GET", r"/checkoutnow", self._checkout_page),
            ("POST", r"/checkoutnow", self._checkout_submit),
        ]

    def authorize(self, request: Seen) -> Reply | None:
        if request.path == "/v1/oauth2/token" or request.path.startswith("/checkoutnow"):
            return None
        token = request.header("Authorization").removeprefix("Bearer ")
        if self.tokens.get(token, 0) < time.time():
            return Reply(401, {"error": "invalid_token", "error_description": "Token signature verification failed"})
        return None

    # --- OAuth ----------------------------------------------------------------------------------

    def _token(self, request: Seen) -> Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = dict(parse_qsl(request.body.decode()))
        if request.header("Authorization") != f"Basic {expected}":
            return Reply(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"})
        token = f"A21AA{secrets.token_urlsafe(24)}"
        self.tokens[token] = time.time() + self.token_ttl
        return Reply(
            200,
            {
                "scope": "https://uri.paypal.com/services/payments/payment",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": self.token_ttl,
                "nonce": secrets.token_hex(8),
            },
        )

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # --- Orders ---------------------------------------------------------------------------------

    def _replayable(self, request: Seen, create) -> Reply:
        key = request.header("PayPal-Request-Id")
        if key and key in self.replays and self.replays[key][0] == request.path:
            return self.replays[key][1]
        reply = create(request.json() or {})
        if key and reply.status < 300:
            self.replays[key] = (request.path, reply)
        return reply

    def _create_order(self, request: Seen) -> Reply:
        return self._replayable(request, self._new_order)

    def _new_order(self, body: dict) -> Reply:
        if body.get("intent") not in ("CAPTURE", "AUTHORIZE"):
            return _error(
                400, "INVALID_REQUEST", "Request is not well-formed.", issue="INVALID_PARAMETER_VALUE", field="/intent"
            )
        units = body.get("purchase_units") or []
        amount = (units[0].get("amount") or {}) if units else {}
        problem = _money_problem(amount.get("value"), amount.get("currency_code", "")) if units else "MISSING_UNITS"
        if problem:
            return _error(
                422 if problem == "DECIMAL_PRECISION" else 400,
                "UNPROCESSABLE_ENTITY",
                "Invalid amount.",
                issue=problem,
                field="/purchase_units/@reference_id=='default'/amount/value",
            )
        return Reply(201, self._store_order(body, units))

    def _store_order(self, body: dict, units: list) -> dict:
        order_id = _paypal_id()
        context = ((body.get("payment_source") or {}).get("paypal") or {}).get("experience_context") or {}
        rel = "payer-action" if context else "approve"
        order = {
            "id": order_id,
            "intent": body["intent"],
            "status": "PAYER_ACTION_REQUIRED" if context else "CREATED",
            "purchase_units": [dict(unit) for unit in units],
            "experience_context": context,
            "create_time": _now_iso(),
            "links": [
                {"href": f"{self.base_url}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                {"href": f"{self.base_url}/checkoutnow?token={order_id}", "rel": rel, "method": "GET"},
            ],
        }
        self.orders[order_id] = order
        return _public(order)

    def _get_order(self, request: Seen, order_id: str) -> Reply:
        order = self.orders.get(order_id)
        if order is None:
            return _not_found()
        return Reply(200, _public(order))

    def _capture(self, request: Seen, order_id: str) -> Reply:
        return self._replayable(request, lambda _body: self._capture_order(order_id))

    def _capture_order(self, order_id: str) -> Reply:
        order = self.orders.get(order_id)
        if order is None:
            return _not_found()
        if order["status"] == "COMPLETED":
            return _error(422, "UNPROCESSABLE_ENTITY", "Order already captured.", issue="ORDER_ALREADY_CAPTURED")
        if order["status"] != "APPROVED":
            return _error(422, "UNPROCESSABLE_ENTITY", "Payer has not approved the Order.", issue="ORDER_NOT_APPROVED")
        if self.capture_outcome == "INSTRUMENT_DECLINED":
            return _error(422, "UNPROCESSABLE_ENTITY", "The instrument was declined.", issue="INSTRUMENT_DECLINED")
        unit = order["purchase_units"][0]
        capture = {
            "id": _paypal_id(),
            "status": self.capture_outcome,
            "amount": dict(unit["amount"]),
            "custom_id": unit.get("custom_id", ""),
            "final_capture": True,
            "create_time": _now_iso(),
            "supplementary_data": {"related_ids": {"order_id": order_id}},
            "refunded": "0",
        }
        if self.capture_outcome == "DECLINED":
            capture["status_details"] = {"reason": "DECLINED_BY_RISK_FRAUD_FILTERS"}
        self.captures[capture["id"]] = capture
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        self._notify(f"PAYMENT.CAPTURE.{CAPTURE_EVENTS.get(capture['status'], capture['status'])}", capture)
        return Reply(201, _public(order))

    def _refund(self, request: Seen, capture_id: str) -> Reply:
        return self._replayable(request, lambda body: self._new_refund(capture_id, body))

    def _new_refund(self, capture_id: str, body: dict) -> Reply:
        capture = self.captures.get(capture_id)
        if capture is None:
            return _not_found()
        amount = body.get("amount") or dict(capture["amount"])
        problem = _money_problem(amount.get("value"), amount.get("currency_code", ""))
        if problem or amount.get("currency_code") != capture["amount"]["currency_code"]:
            return _error(422, "UNPROCESSABLE_ENTITY", "Invalid refund amount.", issue=problem or "CURRENCY_MISMATCH")
        left = Decimal(capture["amount"]["value"]) - Decimal(capture["refunded"])
        if Decimal(amount["value"]) > left:
            return _error(
                422, "UNPROCESSABLE_ENTITY", "The refund amount exceeds the capture.", issue="REFUND_AMOUNT_EXCEEDED"
            )
        capture["refunded"] = str(Decimal(capture["refunded"]) + Decimal(amount["value"]))
        refund = {
            "id": _paypal_id(),
            "status": self.refund_status,
            "amount": amount,
            "custom_id": capture["custom_id"],
            "create_time": _now_iso(),
            "links": [],
            "_capture": capture_id,
        }
        self.refunds[refund["id"]] = refund
        if refund["status"] == "COMPLETED":
            self._notify("PAYMENT.CAPTURE.REFUNDED", refund)
        return Reply(201, _public(refund))

    def _get_refund(self, request: Seen, refund_id: str) -> Reply:
        refund = self.refunds.get(refund_id)
        return _not_found() if refund is None else Reply(200, _public(refund))

    # --- Payouts --------------------------------------------------------------------------------

    def _create_payout(self, request: Seen) -> Reply:
        body = request.json() or {}
        header = body.get("sender_batch_header") or {}
        batch_id = header.get("sender_batch_id", "")
        original = next(
            (
                p
                for p in self.payouts.values()
                if batch_id and p["sender_batch_header"].get("sender_batch_id") == batch_id
            ),
            None,
        )
        if original is not None:
            reply = _error(
                400,
                "USER_BUSINESS_ERROR",
                "User business error.",
                issue="Batch with given sender_batch_id already exists",
                field="SENDER_BATCH_ID",
            )
            href = f"{self.base_url}/v1/payments/payouts/{original['payout_batch_id']}"
            reply.body["details"][0]["link"] = [{"href": href, "rel": "self", "method": "GET"}]
            return reply
        items = body.get("items") or []
        problem = "" if items else "MISSING_REQUIRED_PARAMETER"
        for item in items:
            problem = problem or _money_problem(
                (item.get("amount") or {}).get("value"), (item.get("amount") or {}).get("currency", "")
            )
            problem = problem or ("" if item.get("receiver") else "MISSING_REQUIRED_PARAMETER")
        if problem:
            return _error(400, "VALIDATION_ERROR", "Invalid request - see details", issue=problem, field="items")
        payout_id = _paypal_id(13)
        self.payouts[payout_id] = {
            "payout_batch_id": payout_id,
            "batch_status": "PENDING",
            "sender_batch_header": header,
            "items": items,
            "item_state": [
                {"payout_item_id": _paypal_id(13), "transaction_status": "PENDING", "errors": None} for _ in items
            ],
        }
        return Reply(
            201,
            {
                "batch_header": {
                    "payout_batch_id": payout_id,
                    "batch_status": "PENDING",
                    "sender_batch_header": header,
                },
                "links": [{"href": f"{self.base_url}/v1/payments/payouts/{payout_id}", "rel": "self"}],
            },
        )

    def _get_payout(self, request: Seen, batch_id: str) -> Reply:
        batch = self.payouts.get(batch_id)
        if batch is None:
            return _not_found()
        items = [self._payout_item(batch, n) for n in range(len(batch["items"]))]
        header = {k: batch[k] for k in ("payout_batch_id", "batch_status", "sender_batch_header")}
        return Reply(200, {"batch_header": header, "items": items, "links": []})

    def _get_payout_item(self, request: Seen, item_id: str) -> Reply:
        for batch in self.payouts.values():
            for n, state in enumerate(batch["item_state"]):
                if state["payout_item_id"] == item_id:
                    return Reply(200, self._payout_item(batch, n))
        return _not_found()

    def _payout_item(self, batch: dict, n: int) -> dict:
        state = batch["item_state"][n]
        item = {
            "payout_item_id": state["payout_item_id"],
            "transaction_status": state["transaction_status"],
            "payout_batch_id": batch["payout_batch_id"],
            "sender_batch_id": batch["sender_batch_header"].get("sender_batch_id"),
            "payout_item": json.loads(json.dumps(batch["items"][n])),
        }
        if state["errors"]:
            item["errors"] = dict(state["errors"])
        return item

    # --- the approval page ----------------------------------------------------------------------

    def _checkout_page(self, request: Seen) -> Reply:
        order = self.orders.get(request.query.get("token", [""])[0])
        if order is None:
            return Reply(404, "<h1>Unknown order</h1>", content_type="text/html")
        amount = order["purchase_units"][0]["amount"]
        return Reply(
            200,
            f"<h1>Pay {amount['value']} {amount['currency_code']} with PayPal</h1><form method=post>"
            "<button name=decision value=approve>Pay</button>"
            "<button name=decision value=cancel>Cancel</button></form>",
            content_type="text/html",
        )

    def _checkout_submit(self, request: Seen) -> Reply:
        order_id = request.query.get("token", [""])[0]
        if order_id not in self.orders:
            return Reply(404, "<h1>Unknown order</h1>", content_type="text/html")
        approved = dict(parse_qsl(request.body.decode())).get("decision") == "approve"
        if approved:
            self.approve(order_id)
        context = self.orders[order_id]["experience_context"]
        back = context.get("return_url" if approved else "cancel_url", "")
        if not back:
            return Reply(200, "<h1>Done</h1>", content_type="text/html")
        separator = "&" if "?" in back else "?"
        location = f"{back}{separator}{urlencode({'token': order_id})}"
        return Reply(303, "", {"Location": location}, content_type="text/html")

    # --- knobs ----------------------------------------------------------------------------------

    def approve(self, order_id: str) -> dict:
        with self.lock:
            order = self.orders[order_id]
            if order["status"] in ("CREATED", "PAYER_ACTION_REQUIRED"):
                order["status"] = "APPROVED"
                order["payer"] = {"payer_id": _paypal_id(13), "email_address": "buyer@example.com"}
            return _public(order)

    def void(self, order_id: str) -> None:
        with self.lock:
            self.orders[order_id]["status"] = "VOIDED"

    def settle_capture(self, order_id: str, *, status: str = "COMPLETED") -> dict:
        """A PENDING capture clears (COMPLETED) or is denied (DECLINED)."""
        with self.lock:
            capture = self.orders[order_id]["purchase_units"][0]["payments"]["captures"][-1]
            capture["status"] = status
            self._notify(f"PAYMENT.CAPTURE.{CAPTURE_EVENTS.get(status, status)}", capture)
            return dict(capture)

    def settle_refund(self, refund_id: str, *, status: str = "COMPLETED") -> dict:
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            if status in ("FAILED", "CANCELLED"):
                capture = self.captures[refund["_capture"]]
                capture["refunded"] = str(Decimal(capture["refunded"]) - Decimal(refund["amount"]["value"]))
            if status == "COMPLETED":
                self._notify("PAYMENT.CAPTURE.REFUNDED", refund)
            return _public(refund)

    def settle_payout(self, batch_id: str, *, status: str = "SUCCESS", error: str = "RECEIVER_ACCOUNT_LOCKED") -> dict:
        """Set the (first) item's transaction_status; the batch is SUCCESS once processed."""
        with self.lock:
            batch = self.payouts[batch_id]
            state = batch["item_state"][0]
            state["transaction_status"] = status
            failed = status in ("FAILED", "BLOCKED", "DENIED", "RETURNED", "REFUNDED", "REVERSED", "CANCELED")
            state["errors"] = {"name": error, "message": "Receiver's account is locked"} if failed else None
            batch["batch_status"] = "SUCCESS" if status not in ("PENDING",) else "PROCESSING"
            event = PAYOUT_ITEM_EVENTS.get(status)
            if event and self.webhook_url:
                body, headers = self.signed_webhook(f"PAYMENT.PAYOUTS-ITEM.{event}", self._payout_item(batch, 0))
                self.queue_delivery(Delivery(self.webhook_url, body, headers, kind=f"PAYMENT.PAYOUTS-ITEM.{event}"))
            return self._payout_item(batch, 0)

    def _notify(self, event_type: str, resource: dict) -> None:
        if self.webhook_url:
            body, headers = self.signed_webhook(event_type, _public(resource))
            self.queue_delivery(Delivery(self.webhook_url, body, headers, kind=event_type))

    # --- webhooks -------------------------------------------------------------------------------

    def signed_webhook(self, event_type: str, resource: dict, *, webhook_id: str | None = None) -> tuple[bytes, dict]:
        """A delivery as PayPal makes it; only transmissions issued here verify as SUCCESS."""
        event = {
            "id": f"WH-{_paypal_id(8)}-{_paypal_id(17)}",
            "event_version": "1.0",
            "create_time": _now_iso(),
            "resource_type": event_type.split(".")[1].lower(),
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": event_type,
            "resource": resource,
            "links": [],
        }
        body = json.dumps(event).encode()
        transmission_id, stamp = str(uuid.uuid1()), _now_iso()
        target = self.webhook_id if webhook_id is None else webhook_id
        message = f"{transmission_id}|{stamp}|{target}|{hashlib.sha256(body).hexdigest()}".encode()
        signature = base64.b64encode(hmac.new(self._signing_key, message, "sha256").digest()).decode()
        headers = {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": stamp,
            "PAYPAL-TRANSMISSION-SIG": signature,
            "PAYPAL-CERT-URL": CERT_URL,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "Content-Type": "application/json",
        }
        with self.lock:
            self.transmissions[transmission_id] = {"headers": headers, "event": event, "webhook_id": target}
        return body, headers

    def capture_webhook(self, order_id: str, event_type: str = "PAYMENT.CAPTURE.COMPLETED") -> tuple[bytes, dict]:
        capture = self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
        return self.signed_webhook(event_type, dict(capture))

    def payout_webhook(self, batch_id: str, *, succeeded: bool = True) -> tuple[bytes, dict]:
        batch = self.payouts[batch_id]
        item = batch["items"][0]
        status = "SUCCESS" if succeeded else "FAILED"
        resource = {
            "payout_item_id": batch["item_state"][0]["payout_item_id"],
            "transaction_id": _paypal_id(),
            "transaction_status": status,
            "payout_batch_id": batch_id,
            "payout_item": dict(item),
            "sender_batch_id": batch["sender_batch_header"].get("sender_batch_id"),
        }
        if not succeeded:
            resource["errors"] = {"name": "RECEIVER_ACCOUNT_LOCKED", "message": "Receiver's account is locked"}
        event_type = "PAYMENT.PAYOUTS-ITEM.SUCCEEDED" if succeeded else "PAYMENT.PAYOUTS-ITEM.FAILED"
        return self.signed_webhook(event_type, resource)

    def _verify(self, request: Seen) -> Reply:
        body = request.json() or {}
        required = (
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
            "webhook_event",
        )
        missing = [name for name in required if not body.get(name)]
        if missing:
            return _error(
                400,
                "VALIDATION_ERROR",
                "Invalid request - see details",
                issue="MISSING_REQUIRED_PARAMETER",
                field=missing[0],
            )
        return Reply(200, {"verification_status": "SUCCESS" if self._genuine(body) else "FAILURE"})

    def _genuine(self, body: dict) -> bool:
        issued = self.transmissions.get(body["transmission_id"])
        if issued is None:
            return False
        headers = issued["headers"]
        return (
            body["webhook_id"] == self.webhook_id == issued["webhook_id"]
            and hmac.compare_digest(body["transmission_sig"], headers["PAYPAL-TRANSMISSION-SIG"])
            and body["transmission_time"] == headers["PAYPAL-TRANSMISSION-TIME"]
            and body["cert_url"] == headers["PAYPAL-CERT-URL"]
            and body["auth_algo"] == headers["PAYPAL-AUTH-ALGO"]
            and body["webhook_event"] == issued["event"]
        )


def _public(obj: dict) -> dict:
    """The object as the API shows it (without the fake's own bookkeeping)."""
    return {
        key: value
        for key, value in json.loads(json.dumps(obj)).items()
        if key != "experience_context" and not key.startswith("_")
    }


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
