"""M-Pesa through Safaricom Daraja: STK push (Lipa na M-Pesa Online) in, B2C out.

Amount rule: M-Pesa moves whole Kenya shillings only. We accept KES amounts without cents
(100 or 100.00) and refuse anything else with GatewayError(retryable=False): other currencies, and
KES amounts with cents (100.50). We deliberately do not round: rounding up would charge the
customer more than the ledger credits, rounding down would credit more than was paid. Requiring
whole shillings keeps the customer's charge exactly equal to the ledger entry.

Authentication of callbacks: Daraja does not sign its callbacks. Our callback URLs carry a secret
path segment, and `verify_webhook` compares it with the configured `callback_secret` in constant
time (hmac.compare_digest). Before money is credited, `confirm_event` asks Daraja itself: an STK
callback stands only if the STK push query reports the same outcome (ResultCode 0 for a success).
Daraja's STK query does not return the amount, so the amount of a confirmed success is the one in
the callback, and the payment services compare it with the transaction before crediting. B2C and
transaction-status results arrive only asynchronously (Daraja answers those queries by posting to
the ResultURL), so a B2C Result is trusted on the strength of the path secret alone.

Final or not (docs/provider_states.md): the STK push query answers "still processing" either as
500 errorCode 500.001.1001 or as ResultCode 4999 - both PENDING; ResultCode 0 is SUCCEEDED, 1032
(cancelled by the user) CANCELLED, any other code (1037 timeout, 1 insufficient funds, 2001 wrong
PIN, ...) FAILED: each STK push is a single attempt, so its outcome is final. failure_code is
"mpesa_<ResultCode>". There is no STK cancel in Daraja (`cancel_payment` raises "unsupported").

Payout status: `get_payout` sends a Transaction Status query for the B2C request by its
OriginalConversationID (= the OriginatorConversationID we sent = our idempotency key, so it works
without the ConversationID we may never have stored) and returns PENDING; Daraja posts the
answer to the ResultURL. We tag the query's Occasion "payout:<reference> <ConversationID we stored>", and
`verify_webhook` turns a tagged Result into PAYOUT_SUCCEEDED (TransactionStatus Completed) or
PAYOUT_FAILED (Failed/Cancelled/Declined/Reversed/Expired) whose provider_reference is the B2C
ConversationID from the Result (else from the tag) and whose reference is the B2C
OriginatorConversationID; anything else about it (Pending, a failed query, "no such
transaction") is OTHER, never a failure.

Other rules: phone numbers are normalised to 2547XXXXXXXX/2541XXXXXXXX; Daraja timestamps are
Nairobi time (UTC+3, no DST); Daraja has no idempotency key, so a timed-out STK push or B2C
payment must not be retried blindly (the services keep money held on retryable errors); refunds
are not offered (Daraja's reversal API needs the original receipt and initiator rights) - pay
customers back with a B2C payout instead.
"""

import base64
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import requests

from comrade.gateways.providers._http import TokenCache, body_json, parse_json_body, refusal, send
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
from comrade.gateways.providers.money import parse_decimal

NAIROBI = timezone(timedelta(hours=3))
TOKEN_MARGIN_SECONDS = 60
INVALID_TOKEN = "404.001.03"
STILL_PROCESSING = "500.001.1001"
CANCELLED_BY_USER = "1032"
STILL_UNDER_PROCESSING = "4999"
PAYOUT_TAG = "payout:"
PAYOUT_DONE = "completed"
PAYOUT_FAILED_STATES = {"failed", "cancelled", "canceled", "declined", "reversed", "expired"}
MSISDN = re.compile(r"^254[17]\d{8}$")


@dataclass(frozen=True)
class MpesaConfig:
    consumer_key: str
    consumer_secret: str
    shortcode: str
    passkey: str
    callback_secret: str
    initiator_name: str = ""
    security_credential: str = ""
    b2c_shortcode: str = ""
    result_url: str = ""
    base_url: str = "https://sandbox.safaricom.co.ke"
    transaction_type: str = "CustomerPayBillOnline"
    b2c_command: str = "BusinessPayment"
    b2c_path: str = "/mpesa/b2c/v3/paymentrequest"
    timeout: float = 10


def whole_shillings(amount: Decimal, currency: str) -> int:
    """The amount as an integer number of KES; refuses other currencies and amounts with cents."""
    if currency.upper() != "KES":
        raise GatewayError(f"M-Pesa only moves KES, not {currency}", retryable=False, code="unsupported_currency")
    value = Decimal(amount)
    if value != value.to_integral_value() or value < 1:
        raise GatewayError(
            f"M-Pesa needs a whole number of shillings, not {amount}", retryable=False, code="invalid_amount"
        )
    return int(value)


def msisdn(phone: str) -> str:
    """0712 345678 / +254712345678 / 712345678 -> 254712345678."""
    digits = re.sub(r"[\s\-()]", "", phone or "").removeprefix("+")
    if digits.startswith("0") and len(digits) == 10:
        digits = "254" + digits[1:]
    elif len(digits) == 9:
        digits = "254" + digits
    if not MSISDN.match(digits):
        raise GatewayError("not a Kenyan mobile number", retryable=False, code="invalid_phone")
    return digits


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


def daraja_timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(NAIROBI)).astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


class MpesaGateway(Gateway):
    name = "mpesa"
    display_name = "M-Pesa"
    supports = ("payments", "payouts")
    currencies = frozenset({"KES"})

    def __init__(self, config: MpesaConfig):
        self.config = config
        self.session = requests.Session()
        self._tokens = TokenCache(self._fetch_token, margin_seconds=TOKEN_MARGIN_SECONDS)

    def check_amount(self, amount: Decimal, currency: str) -> None:
        whole_shillings(amount, currency)

    # --- money in -------------------------------------------------------------------------------

    def create_payment(self, req: PaymentRequest) -> PaymentSession:
        amount = whole_shillings(req.amount, req.currency)
        phone = msisdn(req.phone_number)
        if not req.callback_url:
            raise GatewayError("M-Pesa needs a callback URL", retryable=False, code="callback_required")
        body = {
            **self._stk_auth(),
            "TransactionType": self.config.transaction_type,
            "Amount": amount,
            "PartyA": phone,
            "PartyB": self.config.shortcode,
            "PhoneNumber": phone,
            "CallBackURL": req.callback_url,
            "AccountReference": req.reference[:12],
            "TransactionDesc": (req.description or "Payment")[:13],
        }
        answer = self._ok(self._api("/mpesa/stkpush/v1/processrequest", body))
        return PaymentSession(
            provider_reference=str(answer["CheckoutRequestID"]), status=PaymentStatus.PENDING, raw=answer
        )

    def get_payment(self, provider_reference: str) -> PaymentSession:
        answer = self._stk_query(provider_reference)
        if answer is None:
            return PaymentSession(provider_reference=provider_reference, status=PaymentStatus.PENDING)
        status = _stk_status(answer)
        code = "" if status == PaymentStatus.SUCCEEDED else f"mpesa_{answer.get('ResultCode')}"
        return PaymentSession(
            provider_reference=provider_reference,
            status=status,
            currency="KES" if status == PaymentStatus.SUCCEEDED else "",
            failure_code=code,
            failure_reason=f"mpesa: {answer.get('ResultDesc', '')}" if code else "",
            raw=answer,
        )

    def cancel_payment(self, provider_reference: str) -> PaymentStatus:
        raise GatewayError(
            "M-Pesa has no way to withdraw an STK push; it ends on its own (1032/1037)",
            retryable=False,
            code="unsupported",
        )

    def _stk_query(self, checkout_request_id: str) -> dict[str, Any] | None:
        """Daraja's answer, or None while the customer has not yet answered the prompt."""
        body = {**self._stk_auth(), "CheckoutRequestID": checkout_request_id}
        response = self._api("/mpesa/stkpushquery/v1/query", body, accept_5xx=True)
        if response.status_code >= 500:
            if _error_code(response) == STILL_PROCESSING:
                return None
            raise GatewayError(
                f"mpesa answered {response.status_code}", retryable=True, status_code=response.status_code
            )
        answer = self._ok(response)
        return None if str(answer.get("ResultCode", "")) == STILL_UNDER_PROCESSING else answer

    def _stk_auth(self) -> dict[str, str]:
        stamp = daraja_timestamp()
        return {
            "BusinessShortCode": self.config.shortcode,
            "Timestamp": stamp,
            "Password": stk_password(self.config.shortcode, self.config.passkey, stamp),
        }

    # --- money out ------------------------------------------------------------------------------

    def payout(self, req: PayoutRequest) -> PayoutResult:
        result_url = req.callback_url or self.config.result_url
        self._require_initiator(result_url)
        body = {
            "OriginatorConversationID": req.idempotency_key[:64],
            "InitiatorName": self.config.initiator_name,
            "SecurityCredential": self.config.security_credential,
            "CommandID": self.config.b2c_command,
            "Amount": whole_shillings(req.amount, req.currency),
            "PartyA": self._b2c_shortcode,
            "PartyB": msisdn(req.destination),
            "Remarks": (req.description or "Payout")[:100],
            "QueueTimeOutURL": result_url,
            "ResultURL": result_url,
            "Occasion": req.reference[:100],
        }
        answer = self._ok(self._api(self.config.b2c_path, body))
        return PayoutResult(provider_reference=str(answer["ConversationID"]), status=PaymentStatus.PENDING)

    def get_payout(self, *, provider_reference: str, reference: str) -> PayoutResult:
        """Ask Daraja (Transaction Status, by the OriginatorConversationID we sent) and answer
        PENDING: the outcome arrives on the ResultURL and `verify_webhook` makes it a PAYOUT_*
        event for `provider_reference`."""
        if not reference:
            raise GatewayError("M-Pesa payouts are looked up by our reference", retryable=False, code="invalid")
        self._status_query(
            {"OriginalConversationID": reference[:64]},
            party=self._b2c_shortcode,
            remarks="Payout status",
            occasion=_payout_tag(reference, provider_reference),
        )
        return PayoutResult(provider_reference=provider_reference, status=PaymentStatus.PENDING)

    def transaction_status(self, *, transaction_id: str, result_url: str = "", remarks: str = "Status check") -> str:
        """Ask Daraja for a transaction's status (e.g. by receipt number). Daraja answers later by
        posting a Result to `result_url`; this returns the request's ConversationID."""
        return self._status_query(
            {"TransactionID": transaction_id}, party=self.config.shortcode, remarks=remarks, result_url=result_url
        )

    def _status_query(
        self, lookup: dict[str, str], *, party: str, remarks: str, occasion: str = "", result_url: str = ""
    ) -> str:
        result_url = result_url or self.config.result_url
        self._require_initiator(result_url)
        body = {
            "Initiator": self.config.initiator_name,
            "SecurityCredential": self.config.security_credential,
            "CommandID": "TransactionStatusQuery",
            **lookup,
            "PartyA": party,
            "IdentifierType": "4",
            "ResultURL": result_url,
            "QueueTimeOutURL": result_url,
            "Remarks": remarks[:100],
            "Occasion": occasion[:100],
        }
        return str(self._ok(self._api("/mpesa/transactionstatus/v1/query", body))["ConversationID"])

    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        raise GatewayError(
            "M-Pesa payments are not refunded through the API; pay the customer back with a payout",
            retryable=False,
            code="unsupported",
        )

    @property
    def _b2c_shortcode(self) -> str:
        return self.config.b2c_shortcode or self.config.shortcode

    def _require_initiator(self, result_url: str) -> None:
        if not (self.config.initiator_name and self.config.security_credential and result_url):
            raise GatewayError(
                "M-Pesa B2C is not configured (initiator, credential, result URL)",
                retryable=False,
                code="not_configured",
            )

    # --- callbacks ------------------------------------------------------------------------------

    def callback_secret(self) -> str:
        return self.config.callback_secret

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent:
        secret = self.config.callback_secret
        if not secret:
            raise WebhookRejected("M-Pesa callback secret is not configured")
        if not hmac.compare_digest(path_secret.encode(), secret.encode()):
            raise WebhookRejected("wrong callback path secret")
        payload = parse_json_body(body)
        stk = (payload.get("Body") or {}).get("stkCallback") if isinstance(payload.get("Body"), dict) else None
        if isinstance(stk, dict):
            return _stk_event(stk, payload)
        if isinstance(payload.get("Result"), dict):
            return _result_event(payload["Result"], payload)
        raise WebhookRejected("not an STK callback or a Daraja Result")

    def confirm_event(self, event: WebhookEvent) -> WebhookEvent:
        """STK callbacks must agree with Daraja's STK push query before they count."""
        if event.kind not in (EventKind.PAYMENT_SUCCEEDED, EventKind.PAYMENT_FAILED):
            return event
        answer = self._stk_query(event.provider_reference)
        if answer is None:
            raise GatewayError("Daraja still reports this payment as processing", retryable=True)
        confirmed = str(answer.get("ResultCode")) == "0"
        if confirmed != (event.kind == EventKind.PAYMENT_SUCCEEDED):
            raise WebhookRejected("the callback contradicts Daraja's STK push query")
        if confirmed and event.amount is None:
            raise WebhookRejected("the callback carries no amount")
        return event

    # --- HTTP -----------------------------------------------------------------------------------

    def _api(self, path: str, body: dict, *, accept_5xx: bool = False) -> requests.Response:
        response = self._post(path, body, self._tokens.get(), accept_5xx)
        if response.status_code == 401 or _error_code(response) == INVALID_TOKEN:
            self._tokens.forget()
            response = self._post(path, body, self._tokens.get(), accept_5xx)
        return response

    def _post(self, path: str, body: dict, token: str, accept_5xx: bool) -> requests.Response:
        return send(
            self.session,
            "POST",
            f"{self.config.base_url}{path}",
            timeout=self.config.timeout,
            provider="mpesa",
            accept_5xx=accept_5xx,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    def _fetch_token(self) -> dict[str, Any]:
        response = send(
            self.session,
            "GET",
            f"{self.config.base_url}/oauth/v1/generate",
            timeout=self.config.timeout,
            provider="mpesa",
            params={"grant_type": "client_credentials"},
            auth=(self.config.consumer_key, self.config.consumer_secret),
        )
        return self._ok(response)

    def _ok(self, response: requests.Response) -> dict[str, Any]:
        if 200 <= response.status_code < 300:
            payload = body_json(response, provider="mpesa")
            if str(payload.get("ResponseCode", "0")) == "0":
                return payload
            raise refusal(
                "mpesa",
                response,
                code=str(payload.get("ResponseCode")),
                message=str(payload.get("ResponseDescription", "")),
            )
        raise refusal("mpesa", response, code=_error_code(response), message=_error_message(response))


# --- pure helpers ------------------------------------------------------------------------------


def _error_payload(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _error_code(response: requests.Response) -> str:
    return str(_error_payload(response).get("errorCode", "")) if response.status_code >= 400 else ""


def _error_message(response: requests.Response) -> str:
    return str(_error_payload(response).get("errorMessage", ""))[:200]


def _stk_status(answer: dict[str, Any]) -> PaymentStatus:
    code = str(answer.get("ResultCode", ""))
    if code == "0":
        return PaymentStatus.SUCCEEDED
    return PaymentStatus.CANCELLED if code == CANCELLED_BY_USER else PaymentStatus.FAILED


def _items(container: Any, list_key: str) -> dict[str, Any]:
    """Daraja's [{"Name"/"Key": ..., "Value": ...}] lists (sometimes a single dict) as a dict."""
    items = (container or {}).get(list_key) if isinstance(container, dict) else None
    items = [items] if isinstance(items, dict) else items or []
    return {str(i.get("Name", i.get("Key"))): i.get("Value") for i in items if isinstance(i, dict)}


def _stk_event(stk: dict[str, Any], payload: dict[str, Any]) -> WebhookEvent:
    checkout = str(stk.get("CheckoutRequestID") or "")
    if not checkout:
        raise WebhookRejected("STK callback without CheckoutRequestID")
    success = str(stk.get("ResultCode")) == "0"
    meta = _items(stk.get("CallbackMetadata"), "Item")
    return WebhookEvent(
        event_id=f"mpesa-stk-{checkout}",
        kind=EventKind.PAYMENT_SUCCEEDED if success else EventKind.PAYMENT_FAILED,
        reference="",
        provider_reference=checkout,
        amount=parse_decimal(meta.get("Amount")) if success else None,
        currency="KES",
        authorization_code=str(meta.get("MpesaReceiptNumber") or ""),
        failure_code="" if success else f"mpesa_{stk.get('ResultCode')}",
        failure_reason="" if success else f"mpesa: {stk.get('ResultDesc', '')} ({stk.get('ResultCode')})",
        raw=payload,
    )


def _result_event(result: dict[str, Any], payload: dict[str, Any]) -> WebhookEvent:
    conversation = str(result.get("ConversationID") or "")
    if not conversation:
        raise WebhookRejected("Result without ConversationID")
    params = _items(result.get("ResultParameters"), "ResultParameter")
    occasion = str(_items(result.get("ReferenceData"), "ReferenceItem").get("Occasion") or "")
    if occasion.startswith(PAYOUT_TAG):
        return _payout_status_event(result, params, occasion, payload)
    if "TransactionStatus" in params:
        return _status_event(result, params, payload, kind=EventKind.OTHER)
    success = str(result.get("ResultCode")) == "0"
    is_payout = "TransactionAmount" in params or not params
    kind = EventKind.OTHER if not is_payout else EventKind.PAYOUT_SUCCEEDED if success else EventKind.PAYOUT_FAILED
    return WebhookEvent(
        event_id=f"mpesa-result-{conversation}",
        kind=kind,
        reference="",
        provider_reference=conversation,
        amount=parse_decimal(params.get("TransactionAmount", params.get("Amount"))),
        currency="KES",
        authorization_code=str(params.get("TransactionReceipt") or result.get("TransactionID") or ""),
        failure_code="" if success else f"mpesa_{result.get('ResultCode')}",
        failure_reason="" if success else f"mpesa: {result.get('ResultDesc', '')} ({result.get('ResultCode')})",
        raw=payload,
    )


def _payout_tag(reference: str, provider_reference: str) -> str:
    """The Occasion of a payout status query, "payout:<our reference> <stored ConversationID>"
    (Daraja echoes it in the Result), so the answer names the payout even if Daraja's
    ResultParameters do not; the ConversationID is left out rather than cut if it does not fit."""
    tag = f"{PAYOUT_TAG}{reference[:64]} {provider_reference}"
    return tag if len(tag) <= 100 else f"{PAYOUT_TAG}{reference[:64]} "


def _payout_status_event(
    result: dict[str, Any], params: dict[str, Any], occasion: str, payload: dict[str, Any]
) -> WebhookEvent:
    """A Transaction Status Result for one of our payouts: Completed or a failed state settle it;
    a failed query, "no such transaction" or a pending payout say nothing final (OTHER)."""
    tagged_reference, _, stored = occasion.removeprefix(PAYOUT_TAG).partition(" ")
    state = str(params.get("TransactionStatus") or "").lower()
    queried = str(result.get("ResultCode")) == "0"
    kind = EventKind.OTHER
    if queried and state == PAYOUT_DONE:
        kind = EventKind.PAYOUT_SUCCEEDED
    elif queried and state in PAYOUT_FAILED_STATES:
        kind = EventKind.PAYOUT_FAILED
    return _status_event(
        result,
        params,
        payload,
        kind=kind,
        provider_reference=str(params.get("ConversationID") or stored),
        reference=str(params.get("OriginatorConversationID") or tagged_reference),
    )


def _status_event(
    result: dict[str, Any],
    params: dict[str, Any],
    payload: dict[str, Any],
    *,
    kind: EventKind,
    provider_reference: str | None = None,
    reference: str = "",
) -> WebhookEvent:
    queried = str(result.get("ResultCode")) == "0"
    state = str(params.get("TransactionStatus") or "").lower()
    code = (
        f"mpesa_{result.get('ResultCode')}"
        if not queried
        else f"mpesa_{state}"
        if kind == EventKind.PAYOUT_FAILED
        else ""
    )
    return WebhookEvent(
        event_id=f"mpesa-status-{result.get('ConversationID')}",
        kind=kind,
        reference=reference,
        provider_reference=str(result.get("ConversationID")) if provider_reference is None else provider_reference,
        amount=parse_decimal(params.get("Amount")),
        currency="KES",
        authorization_code=str(params.get("ReceiptNo") or ""),
        failure_code=code,
        failure_reason=f"mpesa: {result.get('ResultDesc', '')} ({state or result.get('ResultCode')})" if code else "",
        raw=payload,
    )
