"""pain.001 customer credit-transfer initiation: written with sepaxml (which validates the result
against the ISO 20022 XSD it ships) and read back with defusedxml (the fake bank, the tests).

We write pain.001.001.09, the version in the EPC's current SEPA rulebook. In EUR the payment
information carries the SEPA service level; in any other currency it does not (a generic ISO
20022 credit transfer, for a bank that takes pain.001 for domestic or cross-border payments).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from defusedxml import ElementTree as SafeET
from sepaxml import SepaTransfer

from comrade.gateways.providers.money import to_minor

SCHEMA = "pain.001.001.09"
NAMESPACES = {f"urn:iso:std:iso:20022:tech:xsd:pain.001.001.{v}" for v in ("03", "09", "10", "11")}


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    creditor_iban: str
    creditor_bic: str
    remittance: str


@dataclass(frozen=True)
class Pain001:
    message_id: str
    currency: str
    debtor_iban: str
    execution_date: date | None
    control_sum: Decimal
    transfers: tuple[Transfer, ...]


class Pain001Error(ValueError):
    pass


def build(
    *, debtor_name: str, debtor_iban: str, debtor_bic: str, currency: str, execution_date: date, transfers
) -> tuple[str, bytes]:
    """One file, one payment information block for `execution_date`. Returns (message id, XML)."""
    config = {
        "name": debtor_name,
        "IBAN": debtor_iban,
        "BIC": debtor_bic,
        "batch": True,
        "currency": currency,
        "domestic": currency != "EUR",
    }
    sepa = SepaTransfer(config, schema=SCHEMA, clean=True)
    for transfer in transfers:
        payment = {
            "name": transfer.creditor_name,
            "IBAN": transfer.creditor_iban,
            "amount": to_minor(transfer.amount, currency),
            "execution_date": execution_date,
            "description": transfer.remittance,
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.creditor_bic:
            payment["BIC"] = transfer.creditor_bic
        sepa.add_payment(payment)
    xml = sepa.export(validate=True)
    return sepa.msg_id, xml


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node, *path: str):
    for name in path:
        if node is None:
            return None
        node = next((child for child in node if _local(child.tag) == name), None)
    return node


def _text(node, *path: str) -> str:
    found = _find(node, *path)
    return (found.text or "").strip() if found is not None else ""


def parse(data: bytes) -> Pain001:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except SafeET.ParseError as exc:
        raise Pain001Error(f"not well-formed XML: {exc}") from exc
    except Exception as exc:  # defusedxml's DTD/entity refusals
        raise Pain001Error(f"refused XML: {exc}") from exc
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace not in NAMESPACES:
        raise Pain001Error(f"not a pain.001 document (namespace {namespace or 'none'})")
    initiation = _find(root, "CstmrCdtTrfInitn")
    message_id = _text(initiation, "GrpHdr", "MsgId")
    transfers, currencies, debtor_iban, execution = [], set(), "", None
    for block in (child for child in initiation if _local(child.tag) == "PmtInf"):
        debtor_iban = _text(block, "DbtrAcct", "Id", "IBAN")
        when = _text(block, "ReqdExctnDt", "Dt") or _text(block, "ReqdExctnDt")
        execution = date.fromisoformat(when) if when else None
        for tx in (child for child in block if _local(child.tag) == "CdtTrfTxInf"):
            amount_node = _find(tx, "Amt", "InstdAmt")
            currencies.add(amount_node.get("Ccy"))
            transfers.append(
                Transfer(
                    end_to_end_id=_text(tx, "PmtId", "EndToEndId"),
                    amount=Decimal(amount_node.text.strip()),
                    creditor_name=_text(tx, "Cdtr", "Nm"),
                    creditor_iban=_text(tx, "CdtrAcct", "Id", "IBAN"),
                    creditor_bic=_text(tx, "CdtrAgt", "FinInstnId", "BICFI")
                    or _text(tx, "CdtrAgt", "FinInstnId", "BIC"),
                    remittance=_text(tx, "RmtInf", "Ustrd"),
                )
            )
    if len(currencies) > 1:
        raise Pain001Error("a file in more than one currency")
    return Pain001(
        message_id=message_id,
        currency=currencies.pop() if currencies else "",
        debtor_iban=debtor_iban,
        execution_date=execution,
        control_sum=Decimal(_text(initiation, "GrpHdr", "CtrlSum") or "0"),
        transfers=tuple(transfers),
    )
