"""A fake Stripe API (PaymentIntents, refunds, payouts) and Stripe-style signed webhooks.

Behaves like the real API where the adapter depends on it: Bearer secret-key auth, form-encoded
bodies with bracketed nesting (`metadata[reference]=...`), amounts in minor units, PaymentIntent
statuses, `Idempotency-Key` replay (same key and parameters -> the same object, with header
`Idempotent-Replayed: true`; same key with other parameters -> 400 idempotency_error), error bodies
`{"error": {"type", "code", "message", "param"}}`, and webhooks signed with
`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`.

Reads and cancels as the real API: GET /v1/payment_intents/{id}, POST .../{id}/cancel (only from
requires_payment_method, requires_confirmation, requires_action, requires_capture or processing,
else 400 `payment_intent_unexpected_state`), GET /v1/refunds/{id}, GET /v1/payouts/{id}, and the
lists GET /v1/refunds and GET /v1/payouts (newest first, `limit`, `starting_after`, `has_more`).
An unknown id answers 404 `resource_missing`.

Knobs (each returns the object as it now stands): approve(pi_id), decline(pi_id, code=,
decline_code=) - one failed attempt, the intent waits for another payment method (approve it
afterwards for "fail once, then succeed") - process(pi_id), require_action(pi_id),
cancel(pi_id, reason=), settle_payout(po_id, paid=..., status=, failure_code=),
settle_refund(re_id, status=, failure_reason=); refund_status (what new refunds report),
payout_balance (minor units available, None = unlimited), plus fail_next/hang_next and the chaos
settings of FakeServer.

Webhooks: with `webhook_url` set, each change above (and every new refund) queues the signed event
Stripe would send (payment_intent.succeeded / .payment_failed / .processing / .canceled,
payout.paid / .failed / .canceled, refund.created / refund.updated) as a Delivery; see
fakes.server for sending them and for delivery chaos.
"""

import hmac
import json
import secrets
import time
from urllib.parse import parse_qsl, quote

from comrade.gateways.fakes.server import Delivery, FakeServer, Reply, Seen

MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30}
CANCELLABLE = {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture", "processing"}


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(body: bytes) -> dict:
    """`a[b]=1&c=2` -> {"a": {"b": "1"}, "c": "2"} (enough of Stripe's encoding for these endpoints)."""
    result: dict = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def _error(status: int, message: str, *, code: str = "", param: str = "", kind: str = "invalid_request_error") -> Reply:
    return Reply(status, {"error": {"type": kind, "code": code or None, "message": message, "param": param or None}})


def sign(payload: str, *, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), "sha256").hexdigest()
    return f"t={timestamp},v1={digest}"


class FakeStripe(FakeServer):
    error_body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}

    def __init__(self, *, api_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake") -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.payment_intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.payouts: dict[str, dict] = {}
        self.idempotency: dict[str, tuple[str, dict, Reply]] = {}
        self.refund_status = "succeeded"
        self.payout_balance: int | None = None
        self.webhook_url = ""
        super().__init__()

    def routes(self):
        return [
            ("POST", r"/v1/payment_intents", self._create_intent),
            ("GET", r"/v1/payment_intents/(?P<pi_id>[^/]+)", self._get_intent),
            ("POST", r"/v1/payment_intents/(?P<pi_id>[^/]+)/cancel", self._cancel_intent),
            ("POST", r"/v1/refunds", self._create_refund),
            ("GET", r"/v1/refunds", lambda request: self._list(request, self.refunds, "/v1/refunds")),
            ("GET", r"/v1/refunds/(?P<re_id>[^/]+)", self._get_refund),
            ("POST", r"/v1/payouts", self._create_payout),
            ("GET", r"/v1/payouts", lambda request: self._list(request, self.payouts, "/v1/payouts")),
            ("GET", r"/v1/payouts/(?P<po_id>[^/]+)", self._get_payout),
            ("GET", r"/confirm/(?P<pi_id>[^/]+)", self._confirm_page),
            ("POST", r"/confirm/(?P<pi_id>[^/]+)", self._confirm_submit),
        ]

    def authorize(self, request: Seen) -> Reply | None:
        if request.path.startswith("/v1/") and request.header("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Invalid API Key provided")
        return None

    # --- API ------------------------------------------------------------------------------------

    def _idempotent(self, request: Seen, create) -> Reply:
        params = parse_form(request.body)
        key = request.header("Idempotency-Key")
        if key and key in self.idempotency:
            path, original, reply = self.idempotency[key]
            if path != request.path or original != params:
                return _error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    kind="idempotency_error",
                )
            return Reply(reply.status, reply.body, {"Idempotent-Replayed": "true"})
        reply = create(params)
        if key and reply.status == 200:
            self.idempotency[key] = (request.path, params, reply)
        return reply

    def _create_intent(self, request: Seen) -> Reply:
        return self._idempotent(request, self._new_intent)

    def _new_intent(self, params: dict) -> Reply:
        problem = self._amount_problem(params)
        if problem:
            return problem
        pi_id = _new_id("pi")
        self.payment_intents[pi_id] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"].lower(),
            "status": "requires_payment_method",
            "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}",
            "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "latest_charge": None,
            "last_payment_error": None,
            "next_action": None,
            "cancellation_reason": None,
            "canceled_at": None,
            "created": int(time.time()),
            "livemode": False,
            "amount_refunded": 0,
        }
        return Reply(200, dict(self.payment_intents[pi_id]))

    def _amount_problem(self, params: dict) -> Reply | None:
        amount, currency = params.get("amount", ""), params.get("currency", "")
        if not amount:
            return _error(400, "Missing required param: amount.", code="parameter_missing", param="amount")
        if not currency:
            return _error(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        if not amount.isdigit() or int(amount) < 1:
            return _error(400, "Invalid positive integer", code="parameter_invalid_integer", param="amount")
        if int(amount) < MINIMUM_CHARGE.get(currency.lower(), 1):
            return _error(
                400, "Amount must be at least the minimum charge amount.", code="amount_too_small", param="amount"
            )
        return None

    def _get_intent(self, request: Seen, pi_id: str) -> Reply:
        intent = self.payment_intents.get(pi_id)
        if intent is None:
            return _error(404, f"No such payment_intent: '{pi_id}'", code="resource_missing", param="intent")
        return Reply(200, dict(intent))

    def _cancel_intent(self, request: Seen, pi_id: str) -> Reply:
        intent = self.payment_intents.get(pi_id)
        if intent is None:
            return _error(404, f"No such payment_intent: '{pi_id}'", code="resource_missing", param="intent")
        if intent["status"] not in CANCELLABLE:
            return _error(
                400,
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        reason = parse_form(request.body).get("cancellation_reason") or "requested_by_customer"
        return Reply(200, self.cancel(pi_id, reason=reason))

    def _get_refund(self, request: Seen, re_id: str) -> Reply:
        refund = self.refunds.get(re_id)
        if refund is None:
            return _error(404, f"No such refund: '{re_id}'", code="resource_missing", param="id")
        return Reply(200, dict(refund))

    def _list(self, request: Seen, objects: dict[str, dict], url: str) -> Reply:
        """Stripe's list: newest first, `limit` (1-100, default 10), `starting_after` an id."""
        limit = int(request.query.get("limit", ["10"])[0])
        if not 1 <= limit <= 100:
            return _error(400, "Invalid integer", code="parameter_invalid_integer", param="limit")
        newest = sorted(objects.values(), key=lambda o: (o["created"], o["_seq"]), reverse=True)
        after = request.query.get("starting_after", [""])[0]
        if after:
            ids = [o["id"] for o in newest]
            if after not in ids:
                return _error(404, f"No such object: '{after}'", code="resource_missing", param="starting_after")
            newest = newest[ids.index(after) + 1 :]
        page = [_public(o) for o in newest[:limit]]
        return Reply(200, {"object": "list", "data": page, "has_more": len(newest) > limit, "url": url})

    def _create_refund(self, request: Seen) -> Reply:
        return self._idempotent(request, self._new_refund)

    def _new_refund(self, params: dict) -> Reply:
        intent = self.payment_intents.get(params.get("payment_intent", ""))
        if intent is None:
            return _error(400, "No such payment_intent", code="resource_missing", param="payment_intent")
        if intent["status"] != "succeeded":
            return _error(400, "This PaymentIntent has no successful charge to refund.", code="charge_not_refundable")
        left = intent["amount_received"] - intent["amount_refunded"]
        amount = int(params.get("amount") or left)
        if amount < 1 or amount > left:
            return _error(
                400,
                "Refund amount is greater than unrefunded amount on charge",
                code="amount_too_large",
                param="amount",
            )
        intent["amount_refunded"] += amount
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": self.refund_status,
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
            "failure_reason": None,
            "_seq": self._next_seq(),
        }
        self.refunds[refund["id"]] = refund
        self._notify("refund.created", refund)
        return Reply(200, _public(refund))

    def _create_payout(self, request: Seen) -> Reply:
        return self._idempotent(request, self._new_payout)

    def _new_payout(self, params: dict) -> Reply:
        problem = self._amount_problem(params)
        if problem:
            return problem
        destination = params.get("destination", "")
        if destination and not destination.startswith(("ba_", "card_")):
            return _error(
                400, f"No such external account: '{destination}'", code="resource_missing", param="destination"
            )
        amount = int(params["amount"])
        if self.payout_balance is not None and amount > self.payout_balance:
            return _error(400, "You have insufficient funds in your Stripe account.", code="balance_insufficient")
        if self.payout_balance is not None:
            self.payout_balance -= amount
        payout = {
            "id": _new_id("po"),
            "object": "payout",
            "amount": amount,
            "currency": params["currency"].lower(),
            "status": "pending",
            "destination": destination or None,
            "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "failure_code": None,
            "failure_message": None,
            "arrival_date": int(time.time()) + 86400,
            "created": int(time.time()),
            "_seq": self._next_seq(),
        }
        self.payouts[payout["id"]] = payout
        return Reply(200, _public(payout))

    def _get_payout(self, request: Seen, po_id: str) -> Reply:
        payout = self.payouts.get(po_id)
        if payout is None:
            return _error(404, f"No such payout: '{po_id}'", code="resource_missing", param="id")
        return Reply(200, _public(payout))

    # --- the hosted confirmation page -------------------------------------------------------------

    def _confirm_page(self, request: Seen, pi_id: str) -> Reply:
        intent = self.payment_intents.get(pi_id)
        if intent is None or request.query.get("client_secret", [""])[0] != intent["client_secret"]:
            return Reply(404, "<h1>Unknown payment</h1>", content_type="text/html")
        html = (
            f"<h1>Pay {intent['amount']} {intent['currency']}</h1><form method=post>"
            f"<button name=decision value=approve>Pay</button><button name=decision value=decline>Decline</button>"
            f"</form>"
        )
        return Reply(200, html, content_type="text/html")

    def _confirm_submit(self, request: Seen, pi_id: str) -> Reply:
        if pi_id not in self.payment_intents:
            return Reply(404, "<h1>Unknown payment</h1>", content_type="text/html")
        decision = dict(parse_qsl(request.body.decode())).get("decision")
        if decision == "approve":
            self.approve(pi_id)
        else:
            self.decline(pi_id)
        back = request.query.get("return_url", [""])[0]
        if back:
            return Reply(303, "", {"Location": back}, content_type="text/html")
        return Reply(200, f"<h1>{self.payment_intents[pi_id]['status']}</h1>", content_type="text/html")

    # --- knobs ----------------------------------------------------------------------------------

    def approve(self, pi_id: str) -> dict:
        with self.lock:
            intent = self.payment_intents[pi_id]
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=_new_id("ch"),
                next_action=None,
                last_payment_error=None,
            )
            self._notify("payment_intent.succeeded", intent)
            return dict(intent)

    def decline(
        self,
        pi_id: str,
        message: str = "Your card was declined.",
        *,
        code: str = "card_declined",
        decline_code: str = "generic_decline",
    ) -> dict:
        """One failed attempt: Stripe keeps the intent open for another payment method."""
        with self.lock:
            intent = self.payment_intents[pi_id]
            intent.update(
                status="requires_payment_method",
                next_action=None,
                last_payment_error={
                    "code": code,
                    "decline_code": decline_code,
                    "message": message,
                    "type": "card_error",
                },
            )
            self._notify("payment_intent.payment_failed", intent)
            return dict(intent)

    def process(self, pi_id: str) -> dict:
        """An asynchronous method (a bank debit): the payment is under way, not final."""
        with self.lock:
            intent = self.payment_intents[pi_id]
            intent.update(status="processing", next_action=None)
            self._notify("payment_intent.processing", intent)
            return dict(intent)

    def require_action(self, pi_id: str) -> dict:
        with self.lock:
            intent = self.payment_intents[pi_id]
            url = f"{self.base_url}/confirm/{pi_id}?client_secret={quote(intent['client_secret'])}"
            intent.update(
                status="requires_action",
                next_action={"type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": None}},
            )
            return dict(intent)

    def cancel(self, pi_id: str, *, reason: str = "abandoned") -> dict:
        with self.lock:
            intent = self.payment_intents[pi_id]
            intent.update(status="canceled", cancellation_reason=reason, canceled_at=int(time.time()), next_action=None)
            self._notify("payment_intent.canceled", intent)
            return dict(intent)

    def settle_payout(
        self, po_id: str, *, paid: bool = True, status: str = "", failure_code: str = "account_closed"
    ) -> dict:
        """Move a payout on: paid, failed (with `failure_code`), canceled or in_transit."""
        with self.lock:
            payout = self.payouts[po_id]
            status = status or ("paid" if paid else "failed")
            payout.update(status=status)
            if status == "failed":
                payout.update(failure_code=failure_code, failure_message="The bank account has been closed.")
            if status in ("paid", "failed", "canceled"):
                self._notify(f"payout.{status}", payout)
            return _public(payout)

    def settle_refund(self, re_id: str, *, status: str = "succeeded", failure_reason: str = "") -> dict:
        """Move a refund on: succeeded, failed (with `failure_reason`, e.g. expired_or_canceled_card)
        or canceled; a failed or canceled refund gives the money back to the intent."""
        with self.lock:
            refund = self.refunds[re_id]
            refund.update(status=status)
            if status == "failed":
                refund.update(failure_reason=failure_reason or "expired_or_canceled_card")
            if status in ("failed", "canceled"):
                self.payment_intents[refund["payment_intent"]]["amount_refunded"] -= refund["amount"]
            self._notify("refund.updated", refund)
            return _public(refund)

    def _next_seq(self) -> int:
        with self.lock:
            self._seq = getattr(self, "_seq", 0) + 1
            return self._seq

    def _notify(self, event_type: str, obj: dict) -> None:
        if self.webhook_url:
            body, headers = self.signed_webhook(event_type, _public(obj))
            self.queue_delivery(Delivery(self.webhook_url, body, headers, kind=event_type))

    # --- webhooks -------------------------------------------------------------------------------

    def event(self, event_type: str, obj: dict) -> dict:
        return {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    def signed_webhook(
        self, event_type: str, obj: dict, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery exactly as Stripe sends it: (raw body, headers)."""
        body = json.dumps(self.event(event_type, obj), indent=2)
        stamp = int(time.time()) if timestamp is None else timestamp
        signature = sign(body, secret=self.webhook_secret if secret is None else secret, timestamp=stamp)
        return body.encode(), {"Stripe-Signature": signature, "Content-Type": "application/json; charset=utf-8"}

    def payment_webhook(self, pi_id: str, **kwargs) -> tuple[bytes, dict[str, str]]:
        intent = self.payment_intents[pi_id]
        kind = {"succeeded": "payment_intent.succeeded", "canceled": "payment_intent.canceled"}.get(
            intent["status"], "payment_intent.payment_failed"
        )
        return self.signed_webhook(kind, dict(intent), **kwargs)

    def payout_webhook(self, po_id: str, **kwargs) -> tuple[bytes, dict[str, str]]:
        payout = self.payouts[po_id]
        return self.signed_webhook(f"payout.{payout['status']}", _public(payout), **kwargs)

    def refund_webhook(self, re_id: str, **kwargs) -> tuple[bytes, dict[str, str]]:
        return self.signed_webhook("refund.updated", _public(self.refunds[re_id]), **kwargs)


def _public(obj: dict) -> dict:
    """The object as the API shows it (without the fake's own bookkeeping)."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}
