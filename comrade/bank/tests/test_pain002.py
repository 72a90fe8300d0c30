"""pain.002 status reports: rejects fail the payout and release the hold; accepted statuses are
noted; bad files are refused with a 400 and write nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from comrade.bank.formats.pain002 import Pain002Error, parse
from comrade.bank.formats.statement import Direction, StatementLine
from comrade.bank.models import PaymentFile, PaymentFileEntry, StatusReport
from comrade.bank.services.export import payment_files_export
from comrade.bank.services.payouts import payout_statement_line_apply
from comrade.bank.tests.conftest import holding, ledger_clean
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

URL = "/payments/bank/status-reports/"


def report(version: str, original: str, *, group: str = "PART", group_reason: str = "", txs=(), msg_id="STS-1"):
    tx_xml = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else "")
        + "</TxInfAndSts>"
        for e2e, status, reason in txs
    )
    group_reason_xml = f"<StsRsnInf><Rsn><Cd>{group_reason}</Cd></Rsn></StsRsnInf>" if group_reason else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-12-02T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
        f"<GrpSts>{group}</GrpSts>{group_reason_xml}</OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>{tx_xml}</OrgnlPmtInfAndSts>"
        f"</CstmrPmtStsRpt></Document>"
    ).encode()


@pytest.fixture
def two_in_a_file(api, user, saved_account, withdraw):
    saved_account(user)
    withdraw(api, "10.00")
    withdraw(api, "20.00")
    payment_file = payment_files_export()[0]
    return payment_file, list(PaymentFileEntry.objects.filter(file=payment_file).order_by("id"))


@pytest.fixture
def staff(staff_with_otp, client_for):
    return client_for(staff_with_otp(), otp=True)


def upload(client, data: bytes):
    return client.post(URL, {"file": SimpleUploadedFile("report.xml", data)}, format="multipart")


def _status(entry) -> str:
    return TransactionToken.objects.get(pk=entry.payment.transaction_id).status


@pytest.mark.parametrize("version", ["03", "10"])
def test_a_rejected_transaction_fails_and_releases_its_hold_once(two_in_a_file, staff, user, version):
    payment_file, (first, second) = two_in_a_file
    data = report(
        version,
        payment_file.message_id,
        txs=[(first.end_to_end_id, "RJCT", "AC04"), (second.end_to_end_id, "ACSC", "")],
    )
    response = upload(staff, data)
    assert response.status_code == 201, response.json()
    assert _status(first) == "FAILED" and _status(second) == "AUTHORIZED"
    assert "AC04" in TransactionToken.objects.get(pk=first.payment.transaction_id).failure_reason
    assert balance_of(user) == Decimal("80.00")
    assert holding() == Decimal("20.00")
    summary = response.json()["summary"]
    assert summary["noted"] == {second.end_to_end_id: "ACSC"}
    assert summary["rejected"][first.end_to_end_id]["reason"] == "AC04"
    # the same report again is refused and moves nothing
    assert upload(staff, data).status_code == 400
    assert balance_of(user) == Decimal("80.00")
    # a second report rejecting it again releases nothing more
    again = report(version, payment_file.message_id, txs=[(first.end_to_end_id, "RJCT", "AC04")], msg_id="STS-2")
    assert upload(staff, again).status_code == 201
    assert balance_of(user) == Decimal("80.00")
    assert ledger_clean()


def test_a_rejected_group_rejects_every_payout_in_the_file(two_in_a_file, staff, user):
    payment_file, entries = two_in_a_file
    response = upload(staff, report("03", payment_file.message_id, group="RJCT", group_reason="FF01"))
    assert response.status_code == 201
    assert [_status(e) for e in entries] == ["FAILED", "FAILED"]
    assert balance_of(user) == Decimal("100.00")
    assert holding() == Decimal("0.00")
    assert PaymentFile.objects.get(pk=payment_file.pk).status == "CLOSED"
    assert ledger_clean()


def test_accepted_is_noted_only(two_in_a_file, staff, user):
    payment_file, entries = two_in_a_file
    response = upload(staff, report("10", payment_file.message_id, group="ACCP"))
    assert response.status_code == 201
    assert [_status(e) for e in entries] == ["AUTHORIZED", "AUTHORIZED"]
    assert StatusReport.objects.get().group_status == "ACCP"
    assert balance_of(user) == Decimal("70.00")


def test_a_reject_after_the_debit_is_kept_for_staff_and_moves_nothing(two_in_a_file, staff, user):
    payment_file, (first, _second) = two_in_a_file
    line = StatementLine(
        entry_reference="D1",
        direction=Direction.DEBIT,
        amount=first.amount,
        currency="EUR",
        booking_date=date.today(),
        end_to_end_id=first.end_to_end_id,
    )
    payout_statement_line_apply(line=line, entry_id=1)
    assert _status(first) == "COMPLETED"
    upload(staff, report("03", payment_file.message_id, txs=[(first.end_to_end_id, "RJCT", "AC04")]))
    assert _status(first) == "COMPLETED"
    first.refresh_from_db()
    assert first.outcome == "REVIEW"
    assert balance_of(user) == Decimal("70.00")
    assert ledger_clean()


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>&lol3;</CstmrPmtStsRpt></Document>"""


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<Document><unclosed>", "well-formed"),
        (BOMB, "DTD"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.99"><CstmrPmtStsRpt/></Document>', "namespace"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "namespace"),
        (report("03", "NOT-OURS"), "not one of our files"),
    ],
)
def test_bad_files_are_400_and_write_nothing(two_in_a_file, staff, user, data, words):
    response = upload(staff, data)
    assert response.status_code == 400, response.content
    assert words.lower() in response.json()["message"].lower()
    assert "file" in response.json()["fields"]
    assert not StatusReport.objects.exists()
    assert balance_of(user) == Decimal("70.00")


def test_an_unknown_end_to_end_id_or_status_is_refused(two_in_a_file, staff, user):
    payment_file, (first, _second) = two_in_a_file
    bad = report(
        "03", payment_file.message_id, txs=[(first.end_to_end_id, "RJCT", "AC04"), ("STRANGER", "RJCT", "AC04")]
    )
    assert upload(staff, bad).status_code == 400
    odd = report("03", payment_file.message_id, txs=[(first.end_to_end_id, "WHAT", "")])
    assert upload(staff, odd).status_code == 400
    assert _status(first) == "AUTHORIZED"
    assert not StatusReport.objects.exists()


def test_missing_file_and_permissions(two_in_a_file, staff, api, staff_with_otp, client_for):
    payment_file, _ = two_in_a_file
    assert staff.post(URL, {}, format="multipart").status_code == 400
    data = report("03", payment_file.message_id, group="ACCP")
    assert upload(api, data).status_code == 403
    assert upload(client_for(staff_with_otp()), data).status_code == 403
    assert not StatusReport.objects.exists()


def test_reader_reads_group_block_and_transaction_reasons():
    parsed = parse(report("10", "M1", group="RJCT", group_reason="DT01", txs=[("E1", "RJCT", "AM04")]))
    assert parsed.version == "pain.002.001.10"
    assert (parsed.original_message_id, parsed.group_status, parsed.group_reason) == ("M1", "RJCT", "DT01")
    assert parsed.transactions[0].reason == "AM04"
    with pytest.raises(Pain002Error):
        parse(b"\x00\x01 not xml")


def test_a_debit_after_a_reject_moves_nothing_and_is_kept_for_staff(two_in_a_file, staff, user):
    payment_file, (first, _second) = two_in_a_file
    upload(staff, report("03", payment_file.message_id, txs=[(first.end_to_end_id, "RJCT", "AC01")]))
    assert balance_of(user) == Decimal("80.00")
    line = StatementLine(
        entry_reference="D1",
        direction=Direction.DEBIT,
        amount=first.amount,
        currency="EUR",
        booking_date=date.today(),
        end_to_end_id=first.end_to_end_id,
    )
    assert payout_statement_line_apply(line=line, entry_id=1) is True
    assert _status(first) == "FAILED"
    assert balance_of(user) == Decimal("80.00")
    first.refresh_from_db()
    assert first.outcome == "REVIEW"
    assert ledger_clean()
