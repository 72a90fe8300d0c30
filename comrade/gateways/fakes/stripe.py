"""A fake Stripe API (PaymentIntents, refunds, payouts) and Stripe-style signed webhooks.

Behaves like the real API where the adapter depends on it: Bearer secret-key auth, form-encoded
bodies with bracketed nesting (`metadata[reference]=...`), amounts in minor units, PaymentIntent
statuses, `Idempotency-Key` replay (same key and parameters -> the same object, with header
`Idempotent-Replayed: true`; same key with other parameters -> 400 idempotency_error), error bodies
`{"error": {"type", "code", "message", "param"}}`, and webhooks signed with
`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`.

Knobs: approve(pi_id), decline(pi_id), require_action(pi_id), settle_payout(po_id, paid=...),
refund_status (what new refunds report), payout_balance (minor units available, None = unlimited),
plus fail_next/hang_next from FakeServer.
"""

import hmac
import json
import secrets
import time
from urllib.parse import parse_qsl, quote

from comrade.gateways.fakes.server import FakeServer, Reply, Seen

MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30}


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
        super().__init__()

    def routes(self):
        return [
            ("POST", r"/v1/payment_intents", self._create_intent),
            ("GET", r"/v1/payment_intents/(?P<pi_id>[^/]+)", self._get_intent),
            ("POST", r"/v1/refunds", self._create_refund),
            ("POST", r"/v1/payouts", self._create_payout),
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
        }
        self.refunds[refund["id"]] = refund
        return Reply(200, dict(refund))

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
        }
        self.payouts[payout["id"]] = payout
        return Reply(200, dict(payout))

    def _get_payout(self, request: Seen, po_id: str) -> Reply:
        payout = self.payouts.get(po_id)
        if payout is None:
            return _error(404, f"No such payout: '{po_id}'", code="resource_missing", param="id")
        return Reply(200, dict(payout))

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
            return dict(intent)

    def decline(self, pi_id: str, message: str = "Your card was declined.") -> dict:
        with self.lock:
            intent = self.payment_intents[pi_id]
            intent.update(
                status="requires_payment_method",
                last_payment_error={"code": "card_declined", "message": message, "type": "card_error"},
            )
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

    def settle_payout(self, po_id: str, *, paid: bool = True, failure_code: str = "account_closed") -> dict:
        with self.lock:
            payout = self.payouts[po_id]
            if paid:
                payout.update(status="paid")
            else:
                payout.update(
                    status="failed", failure_code=failure_code, failure_message="The bank account has been closed."
                )
            return dict(payout)

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
        kind = "payment_intent.succeeded" if intent["status"] == "succeeded" else "payment_intent.payment_failed"
        return self.signed_webhook(kind, dict(intent), **kwargs)

    def payout_webhook(self, po_id: str, **kwargs) -> tuple[bytes, dict[str, str]]:
        payout = self.payouts[po_id]
        return self.signed_webhook(f"payout.{payout['status']}", dict(payout), **kwargs)

    def refund_webhook(self, re_id: str, **kwargs) -> tuple[bytes, dict[str, str]]:
        return self.signed_webhook("refund.updated", dict(self.refunds[re_id]), **kwargs)
