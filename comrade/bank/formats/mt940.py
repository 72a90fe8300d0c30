"""Reading SWIFT MT940 customer statements (still sent by many banks) into a `Statement`, with the
`mt-940` package. The German "?"-structured :86: details (GVC code, EREF+, SVWZ+) are understood.

Each :61: line must carry the bank's own reference (after `//`): it is what makes an entry
importable once. A statement whose lines lack it is refused, rather than matched on a guess.
RC/RD (reversal) lines, and SEPA returns (GVC 159/160), are returns; the reason is the ISO return
code found in the text (AC04, MS03, ...)."""

import re
from datetime import date

import mt940
from stdnum import iban as stdnum_iban

from comrade.bank.formats.statement import Direction, Statement, StatementLine
from comrade.bank.formats.validation import check_statement, compact_iban, parse_amount, refuse

RETURN_GVC = {"159", "160", "169"}  # SEPA credit transfer return, direct debit return/reject
RETURN_CODE = re.compile(
    r"\b(AC0[1-6]|AC13|AG0[12]|AM0[1-9]|BE0[1-7]|MD0[1-7]|MS0[23]|RC01|RR0[1-4]|FF01"
    r"|DUPL|FOCR|TECH|FRAD|CNOR|DNOR|ERIN|RUTA|NOAS|NOOR)\b"
)
EREF = re.compile(r"EREF\+(\S{1,35})")
NOT_PROVIDED = {"NONREF", "NOTPROVIDED", ""}


def is_mt940(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf\r\n \x01")
    return head.startswith((b":20:", b"{1:")) or b"\n:20:" in head or b"\n:25:" in head


def read_mt940(data: bytes) -> Statement:
    text = _decode(data)
    transactions = mt940.models.Transactions(options=mt940.Options.all())
    try:
        transactions.parse(text)
    except Exception as exc:  # the package raises RuntimeError/ValueError/KeyError on bad tags
        raise refuse("malformed_mt940", f"The MT940 file could not be read: {str(exc).splitlines()[0][:200]}") from None
    header = transactions.data
    if not header.get("transaction_reference") or not header.get("account_identification"):
        raise refuse("malformed_mt940", "The MT940 file has no :20: reference or no :25: account.")
    balance = header.get("final_opening_balance") or header.get("final_closing_balance")
    statement = Statement(
        message_id=str(header["transaction_reference"]),
        kind="mt940",
        account_iban=_account(str(header["account_identification"])),
        currency=(balance.amount.currency if balance else "").upper(),
        lines=tuple(_line(t.data) for t in transactions),
    )
    return check_statement(statement)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # the SWIFT character set is a subset of both
    return text.replace("\r\n", "\n")


def _account(value: str) -> str:
    """`:25:` holds the IBAN, sometimes followed by the currency (DE89...3000EUR)."""
    account = compact_iban(value)
    if not stdnum_iban.is_valid(account) and stdnum_iban.is_valid(account[:-3]):
        return account[:-3]
    return account


def _line(data: dict) -> StatementLine:
    reference = (data.get("bank_reference") or "").strip()
    if not reference:
        raise refuse(
            "missing_reference", "An MT940 line has no bank reference (//...): entries cannot be imported once."
        )
    status = data["status"]
    currency = str(data.get("currency") or data["amount"].currency).upper()
    details = " ".join(
        str(data.get(key) or "") for key in ("purpose", "additional_purpose", "transaction_details")
    ).strip()
    return StatementLine(
        entry_reference=reference,
        direction=Direction.CREDIT if status in ("C", "RD") else Direction.DEBIT,
        amount=parse_amount(str(abs(data["amount"].amount)), currency, where=f"entry {reference}"),
        currency=currency,
        booking_date=_date(data.get("entry_date") or data["date"]),
        value_date=_date(data["date"]),
        end_to_end_id=_end_to_end(data, details),
        remittance=details,
        counterparty_name=str(data.get("applicant_name") or "").strip(),
        counterparty_iban=compact_iban(str(data.get("applicant_iban") or data.get("gvc_applicant_iban") or "")),
        is_return=status in ("RC", "RD") or data.get("transaction_code") in RETURN_GVC,
        return_reason=_return_reason(status, data, details),
    )


def _end_to_end(data: dict, details: str) -> str:
    value = str(data.get("end_to_end_reference") or "").strip()
    if not value:
        found = EREF.search(details)
        value = found.group(1) if found else str(data.get("customer_reference") or "").strip()
    return "" if value.upper() in NOT_PROVIDED else value


def _return_reason(status: str, data: dict, details: str) -> str:
    if status not in ("RC", "RD") and data.get("transaction_code") not in RETURN_GVC:
        return ""
    found = RETURN_CODE.search(details)
    return found.group(1) if found else ""


def _date(value) -> date:
    return date(value.year, value.month, value.day)
