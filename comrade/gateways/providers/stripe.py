"""Stripe: PaymentIntents in, refunds and payouts out, signed webhooks. The only module that
imports the `stripe` SDK.

- Amounts travel in the currency's minor units (`money.to_minor`); an amount finer than the
  currency allows is refused, never rounded.
- Every create carries our idempotency key as Stripe's `Idempotency-Key`, and the PaymentIntent
  carries metadata {"reference": <our transaction token>} so webhooks can name our transaction.
- The SDK client is built with `max_network_retries=0` and a requests client with our timeout, so
  a hang or 5xx surfaces at once as GatewayError(retryable=True) and the caller decides.
- Webhooks are verified with `stripe.Webhook.construct_event` (signature and age), plus a check the
  library lacks: a timestamp more than `tolerance` seconds in the future is rejected too.
- Where the customer pays: the PaymentIntent's `next_action.redirect_to_url` when Stripe gives one,
  else `confirmation_url` (a template with {id}, {client_secret}, {reference} and {return_url}) -
  in production a page of ours that mounts Stripe.js with the client secret.
- Final or not (docs/provider_states.md): a PaymentIntent back in `requires_payment_method` after a
  declined attempt is NOT final (the customer may try another card; the webhook
  `payment_intent.payment_failed` becomes PAYMENT_ATTEMPT_FAILED); `canceled` is (PAYMENT_FAILED).
- Finding a payout or refund whose id we never stored: we do NOT re-send the create with the same
  Idempotency-Key - Stripe compares the parameters (which the caller no longer has) and forgets
  keys after 24 hours, after which a re-sent create would pay twice. Instead we page through the
  newest payouts/refunds (read-only, at most `lookup_pages` pages of 100) for the one whose
  metadata names our reference; not found there -> PENDING with failure_code
  "unknown_at_provider".
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import stripe

from comrade.gateways.providers._http import check_freshness, header, parse_signature_header
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
from comrade.gateways.providers.money import from_minor, to_minor

UNKNOWN = "unknown_at_provider"
INTENT_STATUS = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "processing": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
}
MONEY_OUT_STATUS = {
    "pending": PaymentStatus.PENDING,
    "in_transit": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "paid": PaymentStatus.SUCCEEDED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELLED,
}


@dataclass(frozen=True)
class StripeConfig:
    api_key: str
    webhook_secret: str
    base_url: str = "https://api.stripe.com"
    confirmation_url: str = ""
    timeout: float = 10
    tolerance: int = 300
    lookup_pages: int = 10


class StripeGateway(Gateway):
    name = "stripe"
    display_name = "Stripe (cards)"

    def __init__(self, config: StripeConfig):
        self.config = config
        self.client = stripe.StripeClient(
            config.api_key,
            base_addresses={"api": config.base_url},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=config.timeout),
        )

    def create_payment(self, req: PaymentRequest) -> PaymentSession:
        params: dict[str, Any] = {
            "amount": to_minor(req.amount, req.currency),
            "currency": req.currency.lower(),
            "metadata": {"reference": req.reference},
            "automatic_payment_methods": {"enabled": True},
        }
        if req.description:
            params["description"] = req.description[:1000]
        intent = self._call(self.client.v1.payment_intents.create, params, {"idempotency_key": req.idempotency_key})
        return self._session(intent, return_url=req.return_url)

    def get_payment(self, provider_reference: str) -> PaymentSession:
        return self._session(self._call(self.client.v1.payment_intents.retrieve, provider_reference))

    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        params = {
            "payment_intent": provider_reference,
            "amount": to_minor(amount, currency),
            "metadata": {"idempotency_key": idempotency_key},
        }
        refund = self._call(self.client.v1.refunds.create, params, {"idempotency_key": idempotency_key})
        return _refund_result(refund, currency=currency)

    def payout(self, req: PayoutRequest) -> PayoutResult:
        params: dict[str, Any] = {
            "amount": to_minor(req.amount, req.currency),
            "currency": req.currency.lower(),
            "metadata": {"reference": req.reference},
        }
        if req.destination:
            params["destination"] = req.destination
        if req.description:
            params["description"] = req.description[:1000]
        payout = self._call(self.client.v1.payouts.create, params, {"idempotency_key": req.idempotency_key})
        return _payout_result(payout)

    def get_payout(self, *, provider_reference: str, reference: str) -> PayoutResult:
        if provider_reference:
            return _payout_result(self._call(self.client.v1.payouts.retrieve, provider_reference))
        payout = self._find(self.client.v1.payouts.list, "reference", reference)
        if payout is None:
            return PayoutResult(provider_reference="", status=PaymentStatus.PENDING, failure_code=UNKNOWN)
        return _payout_result(payout)

    def get_refund(self, *, provider_reference: str, reference: str) -> RefundResult:
        if provider_reference:
            return _refund_result(self._call(self.client.v1.refunds.retrieve, provider_reference))
        refund = self._find(self.client.v1.refunds.list, "idempotency_key", reference)
        if refund is None:
            return RefundResult(
                provider_reference="", status=PaymentStatus.PENDING, amount=Decimal(0), failure_code=UNKNOWN
            )
        return _refund_result(refund)

    def cancel_payment(self, provider_reference: str) -> PaymentStatus:
        """Cancel the intent; one Stripe will not cancel any more (succeeded, already canceled,
        processing) answers with where it stands instead."""
        try:
            intent = self._call(self.client.v1.payment_intents.cancel, provider_reference)
        except GatewayError as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise
            intent = self._call(self.client.v1.payment_intents.retrieve, provider_reference)
        return INTENT_STATUS.get(intent.get("status", ""), PaymentStatus.PENDING)

    def _find(self, list_method: Callable, key: str, reference: str) -> dict[str, Any] | None:
        """The newest object whose metadata[key] is our reference, looking at no more than
        `lookup_pages` pages of 100 (read-only: this can never create anything)."""
        if not reference:
            return None
        params: dict[str, Any] = {"limit": 100}
        for _ in range(self.config.lookup_pages):
            page = self._call(list_method, params)
            items = page.get("data") or []
            found = next((o for o in items if (o.get("metadata") or {}).get(key) == reference), None)
            if found is not None or not page.get("has_more") or not items:
                return found
            params = {"limit": 100, "starting_after": items[-1]["id"]}
        return None

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent:
        signature = header(headers, "Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(body, signature, self.config.webhook_secret, self.config.tolerance)
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(f"signature: {exc}"[:200]) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("body is not a Stripe event") from exc
        stamp, _ = parse_signature_header(signature)
        check_freshness(stamp, tolerance=self.config.tolerance)
        return _event(event.to_dict())

    # --- helpers --------------------------------------------------------------------------------

    def _call(self, method: Callable, *args) -> dict[str, Any]:
        try:
            return method(*args).to_dict()
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayError(f"stripe unavailable: {type(exc).__name__}", retryable=True) from exc
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            message = f"stripe {status}: {exc.code or type(exc).__name__} {exc.user_message or ''}".strip()[:300]
            raise GatewayError(
                message, retryable=status >= 500 or status == 0, status_code=status or None, code=exc.code or ""
            ) from exc

    def _session(self, intent: dict[str, Any], *, return_url: str = "") -> PaymentSession:
        status = INTENT_STATUS.get(intent.get("status", ""), PaymentStatus.PENDING)
        succeeded = status == PaymentStatus.SUCCEEDED
        currency = str(intent.get("currency") or "").upper()
        received = intent.get("amount_received") if succeeded else None
        code, reason = _intent_failure(intent)
        return PaymentSession(
            provider_reference=intent["id"],
            status=status,
            authorization_code=_charge_id(intent) if succeeded else "",
            redirect_url=self._redirect(intent, return_url),
            amount=from_minor(received, currency) if received is not None and currency else None,
            currency=currency if succeeded else "",
            failure_code=code,
            failure_reason=reason,
            raw=intent,
        )

    def _redirect(self, intent: dict[str, Any], return_url: str) -> str:
        action = intent.get("next_action") or {}
        url = (action.get("redirect_to_url") or {}).get("url")
        if url:
            return url
        if not self.config.confirmation_url or INTENT_STATUS.get(intent.get("status", "")) != PaymentStatus.PENDING:
            return ""
        return self.config.confirmation_url.format(
            id=intent["id"],
            client_secret=quote(intent.get("client_secret") or "", safe=""),
            reference=quote((intent.get("metadata") or {}).get("reference", ""), safe=""),
            return_url=quote(return_url, safe=""),
        )


def _intent_failure(intent: dict[str, Any]) -> tuple[str, str]:
    """(code, message) of a canceled intent or of its last failed attempt, else ("", "")."""
    if intent.get("status") == "canceled":
        return str(intent.get("cancellation_reason") or "canceled"), "stripe: payment canceled"
    error = intent.get("last_payment_error") or {}
    if not error or intent.get("status") == "succeeded":
        return "", ""
    code = str(error.get("decline_code") or error.get("code") or error.get("type") or "payment_failed")
    return code, f"stripe: {error.get('message') or code}"


def _payout_result(payout: dict[str, Any]) -> PayoutResult:
    status = MONEY_OUT_STATUS.get(payout.get("status", ""), PaymentStatus.PENDING)
    failed = status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED)
    return PayoutResult(
        provider_reference=str(payout["id"]),
        status=status,
        failure_code=str(payout.get("failure_code") or payout.get("status")) if failed else "",
        failure_reason=str(payout.get("failure_message") or "") if failed else "",
    )


def _refund_result(refund: dict[str, Any], *, currency: str = "") -> RefundResult:
    status = MONEY_OUT_STATUS.get(refund.get("status", ""), PaymentStatus.PENDING)
    failed = status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED)
    code = str(refund.get("failure_reason") or refund.get("status")) if failed else ""
    return RefundResult(
        provider_reference=str(refund["id"]),
        status=status,
        amount=from_minor(refund["amount"], refund.get("currency") or currency),
        failure_code=code,
        failure_reason=f"stripe: refund {code}" if failed else "",
    )


# --- webhook events ----------------------------------------------------------------------------


def _event(event: dict[str, Any]) -> WebhookEvent:
    obj = (event.get("data") or {}).get("object") or {}
    kind, amount, extra = _classify(event.get("type", ""), obj)
    currency = str(obj.get("currency") or "").upper()
    return WebhookEvent(
        event_id=str(event.get("id", "")),
        kind=kind,
        reference=str((obj.get("metadata") or {}).get("reference", "")),
        provider_reference=extra.get("provider_reference", str(obj.get("id", ""))),
        amount=from_minor(amount, currency) if amount is not None and currency else None,
        currency=currency,
        authorization_code=extra.get("authorization_code", ""),
        failure_code=extra.get("failure_code", ""),
        failure_reason=extra.get("failure_reason", ""),
        raw=event,
    )


def _classify(event_type: str, obj: dict[str, Any]) -> tuple[EventKind, int | None, dict[str, str]]:
    """(kind, amount in minor units, overrides) for the event types we act on."""
    if event_type == "payment_intent.succeeded":
        amount = obj.get("amount_received") or obj.get("amount")
        return EventKind.PAYMENT_SUCCEEDED, amount, {"authorization_code": _charge_id(obj)}
    if event_type in ("payment_intent.payment_failed", "payment_intent.canceled"):
        code, reason = _intent_failure({**obj, "status": "canceled" if event_type.endswith("canceled") else ""})
        kind = EventKind.PAYMENT_FAILED if event_type.endswith("canceled") else EventKind.PAYMENT_ATTEMPT_FAILED
        failure = {"failure_code": code or "payment_failed", "failure_reason": reason or f"stripe: {event_type}"}
        return kind, obj.get("amount"), failure
    if event_type == "payout.paid":
        return EventKind.PAYOUT_SUCCEEDED, obj.get("amount"), {}
    if event_type in ("payout.failed", "payout.canceled"):
        result = _payout_result({**obj, "status": event_type.rsplit(".", 1)[-1]})
        reason = obj.get("failure_message") or obj.get("failure_code") or event_type
        failure = {"failure_code": result.failure_code, "failure_reason": f"stripe: {reason}"}
        return EventKind.PAYOUT_FAILED, obj.get("amount"), failure
    if event_type == "charge.refunded":
        return _charge_refunded(obj)
    if event_type in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
        return _refund_event(obj)
    return EventKind.OTHER, None, {}


def _charge_id(intent: dict[str, Any]) -> str:
    charge = intent.get("latest_charge") or ""
    return str(charge.get("id", "")) if isinstance(charge, dict) else str(charge)


def _charge_refunded(charge: dict[str, Any]) -> tuple[EventKind, int | None, dict[str, str]]:
    refunds = (charge.get("refunds") or {}).get("data") or []
    if not refunds:
        return EventKind.REFUND_SUCCEEDED, None, {"provider_reference": str(charge.get("payment_intent") or "")}
    latest = max(refunds, key=lambda refund: refund.get("created") or 0)
    return _refund_event(latest)


def _refund_event(refund: dict[str, Any]) -> tuple[EventKind, int | None, dict[str, str]]:
    status = MONEY_OUT_STATUS.get(refund.get("status", ""))
    overrides = {"provider_reference": str(refund.get("id", ""))}
    if status == PaymentStatus.SUCCEEDED:
        return EventKind.REFUND_SUCCEEDED, refund.get("amount"), overrides
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        code = str(refund.get("failure_reason") or refund.get("status"))
        overrides.update(failure_code=code, failure_reason=f"stripe: refund {code}")
        return EventKind.REFUND_FAILED, refund.get("amount"), overrides
    return EventKind.OTHER, refund.get("amount"), overrides
