"""A fake Safaricom Daraja API: OAuth, STK push and its query, B2C, transaction status.

Like the real API: GET /oauth/v1/generate?grant_type=client_credentials with HTTP basic auth gives
`{"access_token", "expires_in": "3599"}`; other calls need `Authorization: Bearer <token>` (else
404 with errorCode 404.001.03 "Invalid Access Token"); bad requests answer 400 with
`{"requestId", "errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid X"}`. The STK
password must be base64(BusinessShortCode + passkey + Timestamp) for the configured shortcode.
While the customer has not answered the prompt, the STK query answers 500 with errorCode
500.001.1001 "The transaction is being processed".

Daraja calls back asynchronously. Tests can build callback bodies with `stk_callback(checkout_id)`
/ `b2c_result(conversation_id)`; and the fake queues, as a Delivery (see fakes.server for sending
them and for delivery chaos), the STK callback to CallBackURL when the customer answers
(`approve`, `decline`), the B2C Result to ResultURL when a payout is processed (`settle_b2c`), and
the Result of every Transaction Status query to its ResultURL (also kept in `outbox` as
(ResultURL, body)) - so a status query "answers later" whenever the test delivers it.

STK query: while the customer has not answered, 500 with errorCode 500.001.1001 "The transaction
is being processed", or, with `stk_pending_answer = "4999"`, 200 with ResultCode 4999 "The
transaction is still under processing" (both seen from Daraja). Knobs: approve(checkout_id),
decline(checkout_id, result_code=1032|1037|1|2001|...).

Transaction Status (CommandID TransactionStatusQuery) finds a transaction by TransactionID (the
M-Pesa receipt) or by OriginalConversationID (the OriginatorConversationID of a B2C request), as
Daraja documents; its Result carries ResultParameters ReceiptNo, Amount, TransactionStatus
(Completed / Failed / Pending), ConversationID and OriginatorConversationID of the transaction
found, and echoes the query's Occasion in ReferenceData. Unknown: ResultCode 1 "No such
transaction". Knob: settle_b2c(conversation_id, result_code=0).
"""

import base64
import json
import re
import secrets
import string
import time
from datetime import datetime

from comrade.gateways.fakes.server import Delivery, FakeServer, Reply, Seen

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
    2001: "The initiator information is invalid.",
    4999: "The transaction is still under processing",
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
        self.stk_pending_answer = "500.001.1001"
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
        if stk["result_code"] is None and self.stk_pending_answer == "4999":
            return Reply(
                200,
                {
                    "ResponseCode": "0",
                    "ResponseDescription": "The service request has been accepted successsfully",
                    "MerchantRequestID": stk["merchant"],
                    "CheckoutRequestID": body["CheckoutRequestID"],
                    "ResultCode": "4999",
                    "ResultDesc": STK_RESULTS[4999],
                },
            )
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
            self._callback(checkout_id)
            return stk["receipt"]

    def decline(self, checkout_id: str, result_code: int = 1032) -> None:
        """The customer cancels (1032), never answers (1037), lacks funds (1), ..."""
        with self.lock:
            self.stk[checkout_id]["result_code"] = result_code
            self._callback(checkout_id)

    def _callback(self, checkout_id: str) -> None:
        url = self.stk[checkout_id]["request"]["CallBackURL"]
        self.queue_delivery(Delivery(url, self.stk_callback(checkout_id), {"Content-Type": "application/json"}, "stk"))

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
        self.b2c[conversation] = {
            "request": body,
            "originator": originator,
            "credentials_ok": credentials_ok,
            "result_code": None,
            "receipt": "",
        }
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
            "TransactionID": payout["receipt"] or _receipt(),
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

    def settle_b2c(self, conversation_id: str, *, result_code: int = 0, result_desc: str = "") -> bytes:
        """M-Pesa processes the payout: remembers the outcome (for Transaction Status) and queues
        the Result to ResultURL. Returns its body."""
        with self.lock:
            payout = self.b2c[conversation_id]
            payout["receipt"] = payout["receipt"] or _receipt()
            body = self.b2c_result(conversation_id, result_code=result_code, result_desc=result_desc)
            payout["result_code"] = json.loads(body)["Result"]["ResultCode"]
            url = payout["request"]["ResultURL"]
            self.queue_delivery(Delivery(url, body, {"Content-Type": "application/json"}, "b2c"))
            return body

    def _status(self, request: Seen) -> Reply:
        body = request.json() or {}
        missing = next((name for name in STATUS_FIELDS if body.get(name) in (None, "")), None)
        if not missing and not (body.get("TransactionID") or body.get("OriginalConversationID")):
            missing = "TransactionID"
        if missing or body["CommandID"] != "TransactionStatusQuery":
            return _bad(missing or "CommandID")
        conversation = f"AG_{datetime.now().strftime('%Y%m%d')}_{secrets.token_hex(10)}"
        result = self._status_result(conversation, body)
        self.outbox.append((body["ResultURL"], result))
        self.queue_delivery(Delivery(body["ResultURL"], result, {"Content-Type": "application/json"}, "status"))
        return Reply(
            200,
            {
                "ConversationID": conversation,
                "OriginatorConversationID": secrets.token_hex(8),
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            },
        )

    def _status_result(self, conversation: str, query: dict) -> bytes:
        found = self._find_transaction(
            str(query.get("TransactionID") or ""), str(query.get("OriginalConversationID") or "")
        )
        result = {
            "ResultType": 0,
            "ResultCode": 0 if found else 1,
            "ConversationID": conversation,
            "OriginatorConversationID": secrets.token_hex(8),
            "TransactionID": (found or {}).get("ReceiptNo") or str(query.get("TransactionID") or ""),
            "ResultDesc": "The service request is processed successfully." if found else "No such transaction",
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": str(query.get("Occasion") or "")}},
        }
        if found:
            result["ResultParameters"] = {
                "ResultParameter": [{"Key": key, "Value": value} for key, value in found.items()]
            }
        return json.dumps({"Result": result}).encode()

    def _find_transaction(self, receipt: str, originator: str) -> dict | None:
        """Transaction Status ResultParameters of an STK payment (by receipt) or a B2C payout (by
        receipt or OriginatorConversationID), else None."""
        stk = next((s for s in self.stk.values() if receipt and s["receipt"] == receipt), None)
        if stk:
            return {
                "ReceiptNo": receipt,
                "Amount": int(stk["request"]["Amount"]),
                "TransactionStatus": "Completed",
                "DebitPartyName": f"{stk['request']['PhoneNumber']} - Test Customer",
            }
        match = next(
            (
                (cid, p)
                for cid, p in self.b2c.items()
                if (receipt and p["receipt"] == receipt) or (originator and p["originator"] == originator)
            ),
            None,
        )
        if match is None:
            return None
        conversation_id, payout = match
        code = payout["result_code"]
        return {
            "ReceiptNo": payout["receipt"],
            "Amount": int(payout["request"]["Amount"]),
            "TransactionStatus": "Pending" if code is None else "Completed" if code == 0 else "Failed",
            "ConversationID": conversation_id,
            "OriginatorConversationID": payout["originator"],
            "CreditPartyName": f"{payout['request']['PartyB']} - Test Customer",
        }
