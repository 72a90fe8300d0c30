"""pain.002 customer payment status report reader (pain.002.001.03 and pain.002.001.10), with
defusedxml: no DTDs, no entities (an XML bomb is refused before it expands).

What we read: the original message id (our pain.001 MsgId), the group status, each payment
information block's status and each transaction's status (by original EndToEndId), each with its
first reason code (StsRsnInf/Rsn/Cd, e.g. AC04, AM04)."""

from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

NAMESPACES = {
    "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03": "pain.002.001.03",
    "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10": "pain.002.001.10",
}
STATUSES = {"ACTC", "ACCP", "ACSP", "ACSC", "ACWC", "PART", "PDNG", "RCVD", "RJCT"}
MAX_BYTES = 5 * 1024 * 1024


class Pain002Error(ValueError):
    pass


@dataclass(frozen=True)
class TransactionStatus:
    end_to_end_id: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class StatusReport:
    version: str
    message_id: str
    original_message_id: str
    group_status: str
    group_reason: str
    payment_statuses: tuple[tuple[str, str, str], ...]  # (original PmtInfId, status, reason)
    transactions: tuple[TransactionStatus, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node, name: str):
    if node is None:
        return None
    return next((c for c in node if _local(c.tag) == name), None)


def _children(node, name: str):
    return [] if node is None else [c for c in node if _local(c.tag) == name]


def _text(node, *path: str) -> str:
    for name in path:
        node = _child(node, name)
    return (node.text or "").strip() if node is not None else ""


def _reason(node) -> str:
    info = _child(node, "StsRsnInf")
    return _text(info, "Rsn", "Cd") or _text(info, "Rsn", "Prtry")


def _status(value: str, where: str) -> str:
    if value and value not in STATUSES:
        raise Pain002Error(f"unknown status {value!r} in {where}")
    return value


def parse(data: bytes) -> StatusReport:
    if len(data) > MAX_BYTES:
        raise Pain002Error(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise Pain002Error(f"refused: the XML declares a DTD or entities ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise Pain002Error(f"not well-formed XML: {exc}") from exc
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "Document" or namespace not in NAMESPACES:
        raise Pain002Error(f"not a pain.002.001.03 or pain.002.001.10 status report (namespace {namespace or 'none'})")
    report = _child(root, "CstmrPmtStsRpt")
    if report is None:
        raise Pain002Error("no CstmrPmtStsRpt in the document")
    group = _child(report, "OrgnlGrpInfAndSts")
    original = _text(group, "OrgnlMsgId")
    if not original:
        raise Pain002Error("the report names no original message (OrgnlGrpInfAndSts/OrgnlMsgId)")
    payments, transactions = [], []
    for block in _children(report, "OrgnlPmtInfAndSts"):
        payments.append(
            (_text(block, "OrgnlPmtInfId"), _status(_text(block, "PmtInfSts"), "PmtInfSts"), _reason(block))
        )
        for tx in _children(block, "TxInfAndSts"):
            transactions.append(
                TransactionStatus(
                    end_to_end_id=_text(tx, "OrgnlEndToEndId"),
                    status=_status(_text(tx, "TxSts"), "TxSts"),
                    reason=_reason(tx),
                )
            )
    return StatusReport(
        version=NAMESPACES[namespace],
        message_id=_text(report, "GrpHdr", "MsgId"),
        original_message_id=original,
        group_status=_status(_text(group, "GrpSts"), "GrpSts"),
        group_reason=_reason(group),
        payment_statuses=tuple(payments),
        transactions=tuple(transactions),
    )
