"""Writing a `Statement` as the bank would send it: camt.053.001.08, camt.054.001.08 (both valid
against the ISO 20022 schemas; the tests check them with the XSDs) and MT940. The fake bank turns
our executed pain.001 into a statement with these, and the tests build their files with them.

Each line becomes one booked entry: NtryRef and AcctSvcrRef are the line's entry reference, the
RF reference goes in the structured remittance (CdtrRefInf), any other remittance text in Ustrd,
and a return carries RtrInf/Rsn/Cd with the bank transaction code PMNT/ICDT|RCDT/RRTN."""

from datetime import datetime
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from stdnum import iso11649

from comrade.bank.formats.statement import Direction, Statement, StatementLine

NS = "urn:iso:std:iso:20022:tech:xsd:{}"


def camt053(statement: Statement, *, opening_balance: Decimal = Decimal(0)) -> bytes:
    document, body = _document("camt.053.001.08", "BkToCstmrStmt", statement)
    report = _report(body, "Stmt", statement)
    closing = opening_balance + sum(_signed(line) for line in statement.lines)
    day = statement.lines[-1].booking_date.isoformat() if statement.lines else _created(statement)[:10]
    _balance(report, "OPBD", opening_balance, statement.currency, day)
    _balance(report, "CLBD", closing, statement.currency, day)
    for line in statement.lines:
        _entry(report, line)
    return _xml(document)


def camt054(statement: Statement) -> bytes:
    document, body = _document("camt.054.001.08", "BkToCstmrDbtCdtNtfctn", statement)
    report = _report(body, "Ntfctn", statement)
    for line in statement.lines:
        _entry(report, line)
    return _xml(document)


def mt940(statement: Statement, *, opening_balance: Decimal = Decimal(0)) -> bytes:
    """A single-page MT940 (blocks 4 only, as banks deliver it for download), with the SEPA
    details in the German ?-structured :86: (GVC 166 credit, 116 debit, 159 return)."""
    currency = statement.currency
    first = statement.lines[0].booking_date if statement.lines else datetime.now().date()
    last = statement.lines[-1].booking_date if statement.lines else first
    closing = opening_balance + sum(_signed(line) for line in statement.lines)
    rows = [
        f":20:{statement.message_id[:16]}",
        f":25:{statement.account_iban}",
        ":28C:00001/001",
        f":60F:{_mark(opening_balance)}{first:%y%m%d}{currency}{_mt_amount(abs(opening_balance))}",
    ]
    for line in statement.lines:
        rows += _mt_line(line)
    rows += [f":62F:{_mark(closing)}{last:%y%m%d}{currency}{_mt_amount(abs(closing))}", "-"]
    return ("\r\n".join(rows) + "\r\n").encode()


# --- camt ---------------------------------------------------------------------------------------


def _document(message: str, body_tag: str, statement: Statement) -> tuple[Element, Element]:
    document = Element("Document", xmlns=NS.format(message))
    body = SubElement(document, body_tag)
    header = SubElement(body, "GrpHdr")
    _text(header, "MsgId", statement.message_id[:35])
    _text(header, "CreDtTm", _created(statement))
    return document, body


def _report(body: Element, tag: str, statement: Statement) -> Element:
    report = SubElement(body, tag)
    _text(report, "Id", statement.message_id[:35])
    _text(report, "CreDtTm", _created(statement))
    account = SubElement(report, "Acct")
    _text(SubElement(account, "Id"), "IBAN", statement.account_iban)
    _text(account, "Ccy", statement.currency)
    return report


def _balance(report: Element, code: str, amount: Decimal, currency: str, day: str) -> None:
    balance = SubElement(report, "Bal")
    _text(SubElement(SubElement(balance, "Tp"), "CdOrPrtry"), "Cd", code)
    _amount(balance, "Amt", abs(amount), currency)
    _text(balance, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
    _text(SubElement(balance, "Dt"), "Dt", day)


def _entry(report: Element, line: StatementLine) -> None:
    entry = SubElement(report, "Ntry")
    _text(entry, "NtryRef", line.entry_reference[:35])
    _amount(entry, "Amt", line.amount, line.currency)
    _text(entry, "CdtDbtInd", str(line.direction))
    _text(SubElement(entry, "Sts"), "Cd", "BOOK")
    _text(SubElement(entry, "BookgDt"), "Dt", line.booking_date.isoformat())
    _text(SubElement(entry, "ValDt"), "Dt", (line.value_date or line.booking_date).isoformat())
    _text(entry, "AcctSvcrRef", line.entry_reference[:35])
    _bank_transaction_code(entry, line)
    _details(SubElement(SubElement(entry, "NtryDtls"), "TxDtls"), line)


def _bank_transaction_code(parent: Element, line: StatementLine) -> None:
    family = "RCDT" if line.direction == Direction.CREDIT else "ICDT"
    subfamily = "RRTN" if line.is_return else "ESCT"
    domain = SubElement(SubElement(parent, "BkTxCd"), "Domn")
    _text(domain, "Cd", "PMNT")
    fmly = SubElement(domain, "Fmly")
    _text(fmly, "Cd", family)
    _text(fmly, "SubFmlyCd", subfamily)


def _details(details: Element, line: StatementLine) -> None:
    refs = SubElement(details, "Refs")
    _text(refs, "AcctSvcrRef", line.entry_reference[:35])
    _text(refs, "EndToEndId", (line.end_to_end_id or "NOTPROVIDED")[:35])
    _amount(details, "Amt", line.amount, line.currency)
    _text(details, "CdtDbtInd", str(line.direction))
    if line.counterparty_name or line.counterparty_iban:
        side = "Dbtr" if line.direction == Direction.CREDIT else "Cdtr"
        parties = SubElement(details, "RltdPties")
        if line.counterparty_name:
            _text(SubElement(SubElement(parties, side), "Pty"), "Nm", line.counterparty_name[:140])
        if line.counterparty_iban:
            _text(SubElement(SubElement(parties, f"{side}Acct"), "Id"), "IBAN", line.counterparty_iban)
    if line.remittance:
        _remittance(SubElement(details, "RmtInf"), line.remittance)
    if line.is_return:
        reason = SubElement(SubElement(details, "RtrInf"), "Rsn")
        _text(reason, "Cd", line.return_reason or "NARR")


def _remittance(parent: Element, remittance: str) -> None:
    if iso11649.is_valid(remittance):
        reference = SubElement(SubElement(parent, "Strd"), "CdtrRefInf")
        _text(SubElement(SubElement(reference, "Tp"), "CdOrPrtry"), "Cd", "SCOR")
        _text(reference, "Ref", iso11649.compact(remittance))
    else:
        _text(parent, "Ustrd", remittance[:140])


def _amount(parent: Element, tag: str, amount: Decimal, currency: str) -> None:
    SubElement(parent, tag, Ccy=currency).text = f"{amount:f}"


def _text(parent: Element, tag: str, value: str) -> Element:
    element = SubElement(parent, tag)
    element.text = value
    return element


def _created(statement: Statement) -> str:
    return statement.created_at or datetime.now().replace(microsecond=0).isoformat()


def _xml(document: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(document, encoding="unicode").encode()


def _signed(line: StatementLine) -> Decimal:
    return line.amount if line.direction == Direction.CREDIT else -line.amount


# --- MT940 --------------------------------------------------------------------------------------


def _mark(amount: Decimal) -> str:
    return "C" if amount >= 0 else "D"


def _mt_amount(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def _mt_line(line: StatementLine) -> list[str]:
    credit = line.direction == Direction.CREDIT
    mark = ("RD" if credit else "RC") if line.is_return else ("C" if credit else "D")
    value = line.value_date or line.booking_date
    customer = (line.end_to_end_id or "NONREF")[:16]
    gvc = "159" if line.is_return else ("166" if credit else "116")
    purpose = " ".join(part for part in (line.remittance, line.return_reason and f"RTRN {line.return_reason}") if part)
    sepa = f"EREF+{line.end_to_end_id or 'NOTPROVIDED'}" + (f"SVWZ+{purpose}" if purpose else "")
    chunks = [sepa[i : i + 27] for i in range(0, len(sepa), 27)][:10]
    fields = [f"{gvc}?00{'RETOURE' if line.is_return else 'SEPA-UEBERWEISUNG'}"]
    fields += [f"?{20 + n}{chunk}" for n, chunk in enumerate(chunks)]
    if line.counterparty_iban:
        fields.append(f"?31{line.counterparty_iban}")
    if line.counterparty_name:
        fields.append(f"?32{line.counterparty_name[:27]}")
    return [
        f":61:{value:%y%m%d}{line.booking_date:%m%d}{mark}{_mt_amount(line.amount)}NTRF{customer}//{line.entry_reference[:16]}",
        ":86:" + "".join(fields),
    ]
