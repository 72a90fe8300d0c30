"""The fake bank, for `make run` and the tests: it takes our pain.001 and answers as a bank would,
with files. `execute` books a debit per credit transfer (the EndToEndId echoed, a unique entry
reference) on the platform's account and returns the `Statement`; transfers named in `returns`
are booked, then returned (a credit entry with the return reason, as a camt.053 shows a
returned SEPA credit transfer); transfers named in `rejects` are not booked at all and appear in
the pain.002 that `status_report` writes."""

import uuid
from collections.abc import Mapping
from datetime import date
from xml.etree.ElementTree import Element, SubElement, tostring

from comrade.bank.formats import pain001
from comrade.bank.formats.statement import Direction, Statement, StatementLine


def execute(
    data: bytes,
    *,
    booking_date: date | None = None,
    returns: Mapping[str, str] | None = None,
    rejects: Mapping[str, str] | None = None,
) -> Statement:
    """The camt.053 statement of the day the bank executed our pain.001 file. `returns` and
    `rejects` map an EndToEndId to an ISO reason code (AC04 account closed, AC01 wrong account...)."""
    order = pain001.parse(data)
    returns, rejects = dict(returns or {}), dict(rejects or {})
    booked = booking_date or order.execution_date or date.today()
    lines: list[StatementLine] = []
    for transfer in order.transfers:
        if transfer.end_to_end_id in rejects:
            continue
        common = {
            "amount": transfer.amount,
            "currency": order.currency,
            "booking_date": booked,
            "value_date": booked,
            "end_to_end_id": transfer.end_to_end_id,
            "remittance": transfer.remittance,
            "counterparty_name": transfer.creditor_name,
            "counterparty_iban": transfer.creditor_iban,
        }
        lines.append(StatementLine(entry_reference=_reference(), direction=Direction.DEBIT, **common))
        if transfer.end_to_end_id in returns:
            lines.append(
                StatementLine(
                    entry_reference=_reference(),
                    direction=Direction.CREDIT,
                    is_return=True,
                    return_reason=returns[transfer.end_to_end_id],
                    **common,
                )
            )
    return Statement(
        message_id=f"FAKEBANK-{uuid.uuid4().hex[:20]}",
        kind="camt.053",
        account_iban=order.debtor_iban,
        currency=order.currency,
        created_at=f"{booked.isoformat()}T18:00:00",
        lines=tuple(lines),
    )


def status_report(data: bytes, *, rejects: Mapping[str, str], version: str = "03") -> bytes:
    """A pain.002.001.03 (or .10) status report for our pain.001: the transfers in `rejects` RJCT
    with their reason, the group PART (ACCP when nothing is rejected, RJCT when all are)."""
    order = pain001.parse(data)
    ns = f"urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}"
    names = {t.end_to_end_id for t in order.transfers}
    rejected = [e2e for e2e in rejects if e2e in names]
    group_status = "ACCP" if not rejected else ("RJCT" if len(rejected) == len(names) else "PART")
    document = Element("Document", xmlns=ns)
    report = SubElement(document, "CstmrPmtStsRpt")
    header = SubElement(report, "GrpHdr")
    SubElement(header, "MsgId").text = f"FAKEBANK-STS-{uuid.uuid4().hex[:16]}"
    SubElement(header, "CreDtTm").text = f"{date.today().isoformat()}T12:00:00"
    group = SubElement(report, "OrgnlGrpInfAndSts")
    SubElement(group, "OrgnlMsgId").text = order.message_id
    SubElement(group, "OrgnlMsgNmId").text = "pain.001.001.09"
    SubElement(group, "GrpSts").text = group_status
    if rejected:
        block = SubElement(report, "OrgnlPmtInfAndSts")
        SubElement(block, "OrgnlPmtInfId").text = "PMTINF"
        for e2e in rejected:
            tx = SubElement(block, "TxInfAndSts")
            SubElement(tx, "OrgnlEndToEndId").text = e2e
            SubElement(tx, "TxSts").text = "RJCT"
            reason = SubElement(SubElement(tx, "StsRsnInf"), "Rsn")
            SubElement(reason, "Cd").text = rejects[e2e]
    return b'<?xml version="1.0" encoding="UTF-8"?>' + tostring(document, encoding="utf-8")


def _reference() -> str:
    return f"FB{uuid.uuid4().hex[:24].upper()}"


def fake_bank_day(now) -> int:
    """Job, development only (FAKE_BANK_ENABLED, on with DEBUG): play staff and the bank for
    `make run`. Files the held bank payouts, takes every file still waiting to the fake bank, and
    imports the camt.053 it answers with, so a withdrawal to a bank account completes on its own.
    Returns how many statement entries were imported."""
    from django.db import transaction

    from comrade.bank.formats.builders import camt053
    from comrade.bank.models import PaymentFile
    from comrade.bank.services.export import bank_payments_export
    from comrade.bank.services.statements import statement_file_import

    bank_payments_export(now)
    imported = 0
    for payment_file in PaymentFile.objects.filter(status=PaymentFile.Status.READY).order_by("id"):
        with transaction.atomic():
            taken = PaymentFile.objects.filter(pk=payment_file.pk, status=PaymentFile.Status.READY).update(
                status=PaymentFile.Status.DOWNLOADED, downloaded_at=now
            )
            if not taken:
                continue
            statement = execute(payment_file.xml.encode("utf-8"), booking_date=now.date())
            result = statement_file_import(
                data=camt053(statement), filename=f"{statement.message_id}.xml", imported_by=None, source="fake-bank"
            )
        imported += result.created
    return imported
