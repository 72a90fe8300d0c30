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
    "canceled": PaymentStatus.FAILED,
}


@dataclass(frozen=True)
class StripeConfig:
    api_key: str
    webhook_secret: str
    base_url: str = "https://api.stripe.com"
    confirmation_url: str = ""
    timeout: float = 10
    tolerance: int = 300


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
        status = MONEY_OUT_STATUS.get(refund.get("status", ""), PaymentStatus.PENDING)
        return RefundResult(
            provider_reference=refund["id"],
            status=status,
            amount=from_minor(refund["amount"], refund.get("currency") or currency),
        )

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
        return PayoutResult(
            provider_reference=payout["id"],
            status=MONEY_OUT_STATUS.get(payout.get("status", ""), PaymentStatus.PENDING),
            failure_reason=payout.get("failure_message") or "",
        )

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
        code = _charge_id(intent) if status == PaymentStatus.SUCCEEDED else ""
        return PaymentSession(
            provider_reference=intent["id"],
            status=status,
            authorization_code=code,
            redirect_url=self._redirect(intent, return_url),
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
        failure_reason=extra.get("failure_reason", ""),
        raw=event,
    )


def _classify(event_type: str, obj: dict[str, Any]) -> tuple[EventKind, int | None, dict[str, str]]:
    """(kind, amount in minor units, overrides) for the event types we act on."""
    if event_type == "payment_intent.succeeded":
        amount = obj.get("amount_received") or obj.get("amount")
        return EventKind.PAYMENT_SUCCEEDED, amount, {"authorization_code": _charge_id(obj)}
    if event_type in ("payment_intent.payment_failed", "payment_intent.canceled"):
        error = obj.get("last_payment_error") or {}
        reason = error.get("message") or obj.get("cancellation_reason") or event_type
        return EventKind.PAYMENT_FAILED, obj.get("amount"), {"failure_reason": f"stripe: {reason}"}
    if event_type == "payout.paid":
        return EventKind.PAYOUT_SUCCEEDED, obj.get("amount"), {}
    if event_type in ("payout.failed", "payout.canceled"):
        reason = obj.get("failure_message") or obj.get("failure_code") or event_type
        return EventKind.PAYOUT_FAILED, obj.get("amount"), {"failure_reason": f"stripe: {reason}"}
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
    if status == PaymentStatus.FAILED:
        overrides["failure_reason"] = f"stripe: refund {refund.get('failure_reason') or refund.get('status')}"
        return EventKind.REFUND_FAILED, refund.get("amount"), overrides
    return EventKind.OTHER, refund.get("amount"), overrides
