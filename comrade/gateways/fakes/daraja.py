"""A fake Safaricom Daraja API: OAuth, STK push and its query, B2C, transaction status.

Like the real API: GET /oauth/v1/generate?grant_type=client_credentials with HTTP basic auth gives
`{"access_token", "expires_in": "3599"}`; other calls need `Authorization: Bearer <token>` (else
404 with errorCode 404.001.03 "Invalid Access Token"); bad requests answer 400 with
`{"requestId", "errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid X"}`. The STK
password must be base64(BusinessShortCode + passkey + Timestamp) for the configured shortcode.
While the customer has not answered the prompt, the STK query answers 500 with errorCode
500.001.1001 "The transaction is being processed".

Daraja calls back asynchronously; the fake never posts anywhere. Tests build callback bodies with
`stk_callback(checkout_id)` / `b2c_result(conversation_id)`, and Results of transaction status
queries collect in `outbox` as (ResultURL, body).
"""

import base64
import json
import re
import secrets
import string
import time
from datetime import datetime

from comrade.gateways.fakes.server import FakeServer, Reply, Seen

STK_FIELDS = (
    "BusinessShortCode",
    "Password",
    "Timestamp",
    "TransactionType",
    "Amount",
    "PartyA",
    "PartyB",
    "PhoneNumber",
    "CallBackURL",
    "AccountReference",
    "TransactionDesc",
)
B2C_FIELDS = (
    "InitiatorName",
    "SecurityCredential",
    "CommandID",
    "Amount",
    "PartyA",
    "PartyB",
    "Remarks",
    "QueueTimeOutURL",
    "ResultURL",
)
STATUS_FIELDS = (
    "Initiator",
    "SecurityCredential",
    "CommandID",
    "TransactionID",
    "PartyA",
    "IdentifierType",
    "ResultURL",
    "QueueTimeOutURL",
)
STK_RESULTS = {
    0: "The service request is processed successfully.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    1: "The balance is insufficient for the transaction.",
}
MSISDN = re.compile(r"^254[17]\d{8}$")


def _bad(what: str, status: int = 400, code: str = "400.002.02") -> Reply:
    return Reply(
        status, {"requestId": secrets.token_hex(8), "errorCode": code, "errorMessage": f"Bad Request - Invalid {what}"}
    )


def _receipt() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))


def _whole(value) -> int | None:
    text = str(value)
    return int(text) if text.isdigit() and int(text) >= 1 else None


def _url(value) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


class FakeDaraja(FakeServer):
    error_body = {"requestId": "fake", "errorCode": "500.003.02", "errorMessage": "System is busy. Please try again"}

    def __init__(
        self,
        *,
        consumer_key: str = "daraja-key",
        consumer_secret: str = "daraja-secret",
        shortcode: str = "174379",
        passkey: str = "fake-passkey",
        initiator_name: str = "testapi",
        security_credential: str = "fake-credential",
        b2c_shortcode: str = "600000",
        token_ttl: int = 3599,
    ) -> None:
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.shortcode, self.passkey, self.b2c_shortcode = shortcode, passkey, b2c_shortcode
        self.initiator_name, self.security_credential, self.token_ttl = initiator_name, security_credential, token_ttl
        self.tokens: dict[str, float] = {}
        self.stk: dict[str, dict] = {}
        self.b2c: dict[str, dict] = {}
        self.outbox: list[tuple[str, bytes]] = []
        super().__init__()

    def routes(self):
        return [
            ("GET", r"/oauth/v1/generate", self._token),
            ("POST", r"/mpesa/stkpush/v1/processrequest", self._stk_push),
            ("POST", r"/mpesa/stkpushquery/v1/query", self._stk_query),
            ("POST", r"/mpesa/b2c/v(1|3)/paymentrequest", self._b2c),
            ("POST", r"/mpesa/transactionstatus/v1/query", self._status),
        ]

    def authorize(self, request: Seen) -> Reply | None:
        if request.path == "/oauth/v1/generate":
            return None
        token = request.header("Authorization").removeprefix("Bearer ")
        if self.tokens.get(token, 0) < time.time():
            return Reply(
                404,
                {"requestId": secrets.token_hex(8), "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"},
            )
        return None

    def _token(self, request: Seen) -> Reply:
        expected = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode()
        grant = request.query.get("grant_type")
        if request.header("Authorization") != f"Basic {expected}" or grant != ["client_credentials"]:
            return Reply(
                400,
                {
                    "requestId": secrets.token_hex(8),
                    "errorCode": "400.008.01",
                    "errorMessage": "Invalid Authentication passed",
                },
            )
        token = secrets.token_urlsafe(21)
        self.tokens[token] = time.time() + self.token_ttl
        return Reply(200, {"access_token": token, "expires_in": str(self.token_ttl)})

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # --- STK push -------------------------------------------------------------------------------

    def _password_problem(self, body: dict) -> Reply | None:
        stamp = str(body.get("Timestamp", ""))
        if str(body.get("BusinessShortCode")) != self.shortcode:
            return _bad("BusinessShortCode")
        try:
            datetime.strptime(stamp, "%Y%m%d%H%M%S")
        except ValueError:
            return _bad("Timestamp")
        expected = base64.b64encode(f"{self.shortcode}{self.passkey}{stamp}".encode()).decode()
        return None if body.get("Password") == expected else _bad("Password")

    def _stk_push(self, request: Seen) -> Reply:
        body = request.json() or {}
        missing = next((name for name in STK_FIELDS if body.get(name) in (None, "")), None)
        if missing:
            return _bad(missing)
        problem = self._password_problem(body) or self._stk_values_problem(body)
        if problem:
            return problem
        checkout = f"ws_CO_{datetime.now().strftime('%d%m%Y%H%M%S')}{secrets.randbelow(10**9):09d}"
        merchant = f"{secrets.randbelow(99999)}-{secrets.randbelow(99999999)}-1"
        self.stk[checkout] = {"request": body, "merchant": merchant, "result_code": None, "receipt": ""}
        return Reply(
            200,
            {
                "MerchantRequestID": merchant,
                "CheckoutRequestID": checkout,
                "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            },
        )

    def _stk_values_problem(self, body: dict) -> Reply | None:
        if body["TransactionType"] not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
            return _bad("TransactionType")
        if _whole(body["Amount"]) is None:
            return _bad("Amount")
        if not MSISDN.match(str(body["PhoneNumber"])) or not MSISDN.match(str(body["PartyA"])):
            return _bad("PhoneNumber")
        if not _url(body["CallBackURL"]):
            return _bad("CallBackURL")
        return None

    def _stk_query(self, request: Seen) -> Reply:
        body = request.json() or {}
        problem = self._password_problem(body)
        if problem:
            return problem
        stk = self.stk.get(str(body.get("CheckoutRequestID", "")))
        if stk is None:
            return _bad("CheckoutRequestID")
        if stk["result_code"] is None:
            return Reply(
                500,
                {
                    "requestId": secrets.token_hex(8),
                    "errorCode": "500.001.1001",
                    "errorMessage": "The transaction is being processed",
                },
            )
        code = stk["result_code"]
        return Reply(
            200,
            {
                "ResponseCode": "0",
                "ResponseDescription": "The service request has been accepted successsfully",
                "MerchantRequestID": stk["merchant"],
                "CheckoutRequestID": body["CheckoutRequestID"],
                "ResultCode": str(code),
                "ResultDesc": STK_RESULTS.get(code, "Failed"),
            },
        )

    def approve(self, checkout_id: str) -> str:
        """The customer enters their PIN: the payment succeeds. Returns the M-Pesa receipt."""
        with self.lock:
            stk = self.stk[checkout_id]
            stk.update(result_code=0, receipt=_receipt())
            return stk["receipt"]

    def decline(self, checkout_id: str, result_code: int = 1032) -> None:
        with self.lock:
            self.stk[checkout_id]["result_code"] = result_code

    def stk_callback(self, checkout_id: str, *, result_code: int | None = None, amount: int | None = None) -> bytes:
        """The body Daraja posts to CallBackURL (its real outcome unless overridden, to forge one)."""
        stk = self.stk[checkout_id]
        code = stk["result_code"] if result_code is None else result_code
        callback = {
            "MerchantRequestID": stk["merchant"],
            "CheckoutRequestID": checkout_id,
            "ResultCode": code,
            "ResultDesc": STK_RESULTS.get(code, "Failed"),
        }
        if code == 0:
            request = stk["request"]
            callback["CallbackMetadata"] = {
                "Item": [
                    {"Name": "Amount", "Value": int(request["Amount"]) if amount is None else amount},
                    {"Name": "MpesaReceiptNumber", "Value": stk["receipt"] or _receipt()},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": int(datetime.now().strftime("%Y%m%d%H%M%S"))},
                    {"Name": "PhoneNumber", "Value": int(request["PhoneNumber"])},
                ]
            }
        return json.dumps({"Body": {"stkCallback": callback}}).encode()

    # --- B2C and transaction status -------------------------------------------------------------

    def _b2c(self, request: Seen) -> Reply:
        body = request.json() or {}
        missing = next((name for name in B2C_FIELDS if body.get(name) in (None, "")), None)
        if missing:
            return _bad(missing)
        if body["CommandID"] not in ("BusinessPayment", "SalaryPayment", "PromotionPayment"):
            return _bad("CommandID")
        if _whole(body["Amount"]) is None:
            return _bad("Amount")
        if not MSISDN.match(str(body["PartyB"])) or not _url(body["ResultURL"]) or not _url(body["QueueTimeOutURL"]):
            return _bad("PartyB" if not MSISDN.match(str(body["PartyB"])) else "ResultURL")
        conversation = f"AG_{datetime.now().strftime('%Y%m%d')}_{secrets.token_hex(10)}"
        originator = str(body.get("OriginatorConversationID") or secrets.token_hex(8))
        credentials_ok = (body["InitiatorName"], body["SecurityCredential"]) == (
            self.initiator_name,
            self.security_credential,
        )
        self.b2c[conversation] = {"request": body, "originator": originator, "credentials_ok": credentials_ok}
        return Reply(
            200,
            {
                "ConversationID": conversation,
                "OriginatorConversationID": originator,
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            },
        )

    def b2c_result(self, conversation_id: str, *, result_code: int = 0, result_desc: str = "") -> bytes:
        """The Result Daraja posts to ResultURL once the payout is processed."""
        payout = self.b2c[conversation_id]
        if not payout["credentials_ok"]:
            result_code, result_desc = 2001, "The initiator information is invalid."
        result = {
            "ResultType": 0,
            "ResultCode": result_code,
            "OriginatorConversationID": payout["originator"],
            "ConversationID": conversation_id,
            "TransactionID": _receipt(),
            "ResultDesc": result_desc
            or (
                "The service request is processed successfully."
                if result_code == 0
                else "The balance is insufficient for the transaction."
            ),
            "ReferenceData": {
                "ReferenceItem": {"Key": "QueueTimeoutURL", "Value": payout["request"]["QueueTimeOutURL"]}
            },
        }
        if result_code == 0:
            amount = int(payout["request"]["Amount"])
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "TransactionAmount", "Value": amount},
                    {"Key": "TransactionReceipt", "Value": result["TransactionID"]},
                    {"Key": "ReceiverPartyPublicName", "Value": f"{payout['request']['PartyB']} - Test Customer"},
                    {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
                ]
            }
        return json.dumps({"Result": result}).encode()

    def _status(self, request: Seen) -> Reply:
        body = request.json() or {}
        missing = next((name for name in STATUS_FIELDS if body.get(name) in (None, "")), None)
        if missing or body["CommandID"] != "TransactionStatusQuery":
            return _bad(missing or "CommandID")
        conversation = f"AG_{datetime.now().strftime('%Y%m%d')}_{secrets.token_hex(10)}"
        self.outbox.append((body["ResultURL"], self._status_result(conversation, str(body["TransactionID"]))))
        return Reply(
            200,
            {
                "ConversationID": conversation,
                "OriginatorConversationID": secrets.token_hex(8),
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            },
        )

    def _status_result(self, conversation: str, receipt: str) -> bytes:
        stk = next((s for s in self.stk.values() if s["receipt"] == receipt), None)
        result = {
            "ResultType": 0,
            "ResultCode": 0 if stk else 1,
            "ConversationID": conversation,
            "OriginatorConversationID": secrets.token_hex(8),
            "TransactionID": receipt,
            "ResultDesc": "The service request is processed successfully." if stk else "No such transaction",
        }
        if stk:
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "ReceiptNo", "Value": receipt},
                    {"Key": "Amount", "Value": int(stk["request"]["Amount"])},
                    {"Key": "TransactionStatus", "Value": "Completed"},
                    {"Key": "DebitPartyName", "Value": f"{stk['request']['PhoneNumber']} - Test Customer"},
                ]
            }
        return json.dumps({"Result": result}).encode()
