"""What every statement reader (camt.053, camt.054, MT940) produces and every writer (the test
builders, the fake bank) consumes: plain frozen dataclasses, Decimal amounts in major units."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Direction(StrEnum):
    CREDIT = "CRDT"  # money into the platform's account
    DEBIT = "DBIT"  # money out of it


@dataclass(frozen=True)
class StatementLine:
    """One booked entry. `entry_reference` is the bank's own id of the entry (camt NtryRef, or
    AcctSvcrRef when there is no NtryRef; MT940 bank reference): unique per account, it is what
    makes importing the same entry twice a no-op. `end_to_end_id` echoes our pain.001 EndToEndId
    on a debit (and on a return). `remittance` is the structured creditor reference (an RF
    reference) or, failing that, the unstructured remittance text."""

    entry_reference: str
    direction: Direction
    amount: Decimal
    currency: str
    booking_date: date
    value_date: date | None = None
    end_to_end_id: str = ""
    remittance: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    is_return: bool = False
    return_reason: str = ""  # ISO 20022 ExternalReturnReason1Code, e.g. AC04 (account closed)


@dataclass(frozen=True)
class Statement:
    """A statement (camt.053, MT940) or a notification (camt.054) for one account."""

    message_id: str
    kind: str  # "camt.053", "camt.054", "mt940"
    account_iban: str
    currency: str
    created_at: str = ""
    lines: tuple[StatementLine, ...] = field(default_factory=tuple)
