"""Reading ISO 20022 camt.053 (BkToCstmrStmt, the end-of-day statement) and camt.054
(BkToCstmrDbtCdtNtfctn, a debit/credit notification) into a `Statement`.

Versions 001.02 to 001.08 are read (02 and 08 are the ones banks send most and the ones tested);
the fields we use have the same paths in all of them, except the related party, which gained a
`Pty` level in 08. Only booked entries (status BOOK) are read: a pending entry may still change.
An entry holding several transactions (a batch booking with details) becomes one line per
transaction, with the entry reference suffixed `/1`, `/2`, ... so each is imported once.

The XML is parsed with defusedxml: a DTD (and with it every entity trick, such as the billion
laughs or an external entity) is refused before anything is expanded."""

import re
import xml.etree.ElementTree as ET
from datetime import date

import defusedxml
from defusedxml.ElementTree import fromstring

from comrade.bank.formats.statement import Direction, Statement, StatementLine
from comrade.bank.formats.validation import check_statement, compact_iban, parse_amount, refuse

NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)\}Document$")
VERSIONS = {"02", "03", "04", "05", "06", "07", "08"}
ROOTS = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
NOT_PROVIDED = "NOTPROVIDED"
RETURN_SUBFAMILY = "RRTN"


def is_camt(data: bytes) -> bool:
    return b"urn:iso:std:iso:20022:tech:xsd:camt." in data[:4096]


def read_camt(data: bytes) -> Statement:
    root = _parse(data)
    kind, ns = _kind_and_namespace(root)
    body_tag, report_tag = ROOTS[kind]
    body = root.find(f"{ns}{body_tag}")
    if body is None:
        raise refuse("invalid_file", f"A {kind} document must hold {body_tag}.")
    reader = _Reader(ns)
    reports = body.findall(f"{ns}{report_tag}")
    if not reports:
        raise refuse("invalid_file", f"The {kind} file holds no {report_tag}.")
    ibans = {reader.account_iban(report) for report in reports}
    if len(ibans) != 1:
        raise refuse("several_accounts", f"The file reports on several accounts: {', '.join(sorted(ibans))}.")
    lines = tuple(line for report in reports for line in reader.lines(report))
    statement = Statement(
        message_id=reader.text(body, "GrpHdr/MsgId") or reader.text(reports[0], "Id"),
        kind=kind,
        account_iban=ibans.pop(),
        currency=reader.text(reports[0], "Acct/Ccy").upper(),
        created_at=reader.text(body, "GrpHdr/CreDtTm"),
        lines=lines,
    )
    if not statement.message_id:
        raise refuse("invalid_file", "The file has no message id (GrpHdr/MsgId).")
    return check_statement(statement)


def _parse(data: bytes) -> ET.Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise refuse("unsafe_xml", f"The XML file was refused: it declares a DTD or entities ({exc}).") from None
    except ET.ParseError as exc:
        raise refuse("malformed_xml", f"The file is not well-formed XML: {exc}.") from None


def _kind_and_namespace(root: ET.Element) -> tuple[str, str]:
    match = NAMESPACE.match(root.tag)
    if not match:
        raise refuse("unknown_format", f"Unknown document {root.tag!r}: expected a camt.053 or camt.054 Document.")
    kind, version = match.groups()
    if version not in VERSIONS:
        known = ", ".join(sorted(VERSIONS))
        raise refuse("unknown_version", f"{kind}.001.{version} is not a version we read ({known}).")
    return kind, root.tag[: -len("Document")]


class _Reader:
    def __init__(self, ns: str):
        self.ns = ns

    def path(self, path: str) -> str:
        return "/".join(f"{self.ns}{part}" for part in path.split("/"))

    def find(self, element: ET.Element | None, path: str) -> ET.Element | None:
        return None if element is None else element.find(self.path(path))

    def text(self, element: ET.Element | None, *paths: str) -> str:
        for path in paths:
            found = self.find(element, path)
            if found is not None and (found.text or "").strip():
                return found.text.strip()
        return ""

    def account_iban(self, report: ET.Element) -> str:
        iban = self.text(report, "Acct/Id/IBAN")
        if not iban:
            raise refuse("missing_account", "The statement names no account IBAN (Acct/Id/IBAN).")
        return compact_iban(iban)

    def lines(self, report: ET.Element) -> list[StatementLine]:
        lines = []
        for entry in report.findall(self.path("Ntry")):
            if self._status(entry) == "BOOK":
                lines.extend(self._entry_lines(entry))
        return lines

    def _status(self, entry: ET.Element) -> str:
        status = self.find(entry, "Sts")
        if status is None:
            raise refuse("invalid_file", "An entry has no status (Sts).")
        return (self.text(status, "Cd") or (status.text or "")).strip()

    def _entry_lines(self, entry: ET.Element) -> list[StatementLine]:
        reference = self.text(entry, "NtryRef", "AcctSvcrRef")
        details = entry.findall(self.path("NtryDtls/TxDtls"))
        if not reference and len(details) == 1:
            reference = self.text(details[0], "Refs/AcctSvcrRef")
        if not reference:
            raise refuse("missing_reference", "An entry has no bank reference (NtryRef or AcctSvcrRef).")
        amount_element = self.find(entry, "Amt")
        currency = (amount_element.get("Ccy", "") if amount_element is not None else "").upper()
        if not currency:
            raise refuse("invalid_file", f"Entry {reference} has no amount with a currency (Amt Ccy=...).")
        amount = parse_amount(self.text(entry, "Amt"), currency, where=f"entry {reference}")
        base = {
            "direction": self._direction(entry, reference),
            "currency": currency,
            "booking_date": self._date(entry, "BookgDt", reference, required=True),
            "value_date": self._date(entry, "ValDt", reference),
        }
        if len(details) <= 1:
            detail = details[0] if details else None
            return [self._line(entry, detail, reference=reference, amount=amount, **base)]
        return self._batch_lines(entry, details, reference, amount, base)

    def _batch_lines(self, entry, details, reference, amount, base) -> list[StatementLine]:
        lines = []
        for number, detail in enumerate(details, start=1):
            text = self.text(detail, "Amt", "AmtDtls/TxAmt/Amt")
            if not text:
                raise refuse("invalid_file", f"Entry {reference} books several transactions without their amounts.")
            part = parse_amount(text, base["currency"], where=f"entry {reference}/{number}")
            lines.append(self._line(entry, detail, reference=f"{reference}/{number}", amount=part, **base))
        if sum(line.amount for line in lines) != amount:
            raise refuse("invalid_file", f"The transactions of entry {reference} do not add up to its amount.")
        return lines

    def _line(self, entry, detail, *, reference, amount, direction, currency, booking_date, value_date):
        counterparty = "Dbtr" if direction == Direction.CREDIT else "Cdtr"
        return_reason = self.text(detail, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")
        subfamily = self.text(detail, "BkTxCd/Domn/Fmly/SubFmlyCd") or self.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
        end_to_end = self.text(detail, "Refs/EndToEndId")
        return StatementLine(
            entry_reference=reference,
            direction=direction,
            amount=amount,
            currency=currency,
            booking_date=booking_date,
            value_date=value_date,
            end_to_end_id="" if end_to_end.upper() == NOT_PROVIDED else end_to_end,
            remittance=self._remittance(detail),
            counterparty_name=self.text(detail, f"RltdPties/{counterparty}/Pty/Nm", f"RltdPties/{counterparty}/Nm"),
            counterparty_iban=compact_iban(self.text(detail, f"RltdPties/{counterparty}Acct/Id/IBAN")),
            is_return=bool(return_reason) or subfamily == RETURN_SUBFAMILY,
            return_reason=return_reason,
        )

    def _remittance(self, detail) -> str:
        structured = self.text(detail, "RmtInf/Strd/CdtrRefInf/Ref")
        if structured:
            return structured
        if detail is None:
            return ""
        texts = [(e.text or "").strip() for e in detail.findall(self.path("RmtInf/Ustrd"))]
        return " ".join(text for text in texts if text)

    def _direction(self, entry, reference) -> Direction:
        indicator = self.text(entry, "CdtDbtInd")
        if indicator not in (Direction.CREDIT, Direction.DEBIT):
            raise refuse("invalid_file", f"Entry {reference} is neither CRDT nor DBIT ({indicator!r}).")
        return Direction(indicator)

    def _date(self, entry, name: str, reference: str, *, required: bool = False) -> date | None:
        text = self.text(entry, f"{name}/Dt", f"{name}/DtTm")
        if not text:
            if required:
                raise refuse("invalid_file", f"Entry {reference} has no booking date.")
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise refuse("invalid_file", f"Entry {reference}: {text!r} is not a date.") from None
