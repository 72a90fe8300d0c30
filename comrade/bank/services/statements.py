"""Importing a bank statement: store each entry once, then act on the entries this import stored.

A file is read whole before anything is written: a bad file (malformed or unsafe XML, an unknown
format or version, another account, another currency, an amount finer than the currency) is
refused with an ApplicationError and leaves no row behind.

Entries are inserted first, in entry-reference order (so that concurrent imports wait on each
other in one order), each in its own savepoint: a reference already stored (the same statement
again, an overlapping statement, or another import running at the same moment, which the unique
index makes wait for the first to commit) is counted as a duplicate and left alone. Only then are
the new entries acted on, in the statement's own order (a return after its debit), so an import
holds no ledger lock while it may still wait on another import's insert:
- a credit that is not a return, whose remittance holds a wallet's RF reference: credited to
  that wallet (services/deposits.py);
- a debit, or any return: handed to the outgoing side (`payout_statement_line_apply`);
- anything else: the exceptions queue (services/exceptions.py)."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from comrade.bank.formats.camt import is_camt, read_camt
from comrade.bank.formats.mt940 import is_mt940, read_mt940
from comrade.bank.formats.statement import Direction, Statement, StatementLine
from comrade.bank.formats.validation import check_statement, compact_iban, refuse
from comrade.bank.models import BankEntry, BankException, BankStatement
from comrade.bank.services import payouts
from comrade.bank.services.deposits import bank_deposit_credit
from comrade.bank.services.exceptions import exception_open
from comrade.bank.services.references import profile_id, references_in
from comrade.ledger.models import PaymentProfile

Reason = BankException.Reason


@dataclass(frozen=True)
class ImportResult:
    statement_id: int
    kind: str
    message_id: str
    lines: int
    created: int
    duplicate: int
    credited: int
    payouts: int
    exceptions: int


def statement_file_import(*, data: bytes, filename: str, imported_by, source: str = "upload") -> ImportResult:
    statement = statement_read(data=data, filename=filename)
    return statement_import(
        statement=statement,
        source=source,
        imported_by=imported_by,
        filename=filename,
        digest=hashlib.sha256(data).hexdigest(),
    )


def statement_read(*, data: bytes, filename: str = "") -> Statement:
    """Detect the format from the content (not the file name) and read it."""
    statement_size_check(size=len(data))
    if not data.strip():
        raise refuse("empty_file", "The file is empty.")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if is_camt(head) or head.startswith(b"<"):
        return read_camt(data)
    if is_mt940(head):
        return read_mt940(data)
    raise refuse("unknown_format", f"{filename or 'The file'} is neither camt.053/camt.054 XML nor MT940.")


def statement_size_check(*, size: int) -> None:
    """Refuse a file over BANK_STATEMENT_MAX_BYTES; entry points call it before reading the file."""
    if size > settings.BANK_STATEMENT_MAX_BYTES:
        raise refuse("file_too_large", f"The file is larger than {settings.BANK_STATEMENT_MAX_BYTES} bytes.")


def statement_import(
    *, statement: Statement, source: str, imported_by, filename: str = "", digest: str = ""
) -> ImportResult:
    check_statement(statement)
    with transaction.atomic():
        record = BankStatement.objects.create(
            message_id=statement.message_id[:140],
            kind=statement.kind,
            account_iban=compact_iban(statement.account_iban),
            source=source[:32],
            filename=filename[:255],
            digest=digest,
            imported_by=imported_by,
        )
        lines = statement.lines
        entries = {line.entry_reference: _store(record, line) for line in sorted(lines, key=_by_reference)}
        stored = [(line, entries[line.entry_reference]) for line in lines if entries[line.entry_reference]]
        outcomes = [_act(entry, line) for line, entry in stored]
        _count(record, stored=len(stored), duplicate=len(lines) - len(stored), outcomes=outcomes)
    return ImportResult(
        statement_id=record.pk,
        kind=record.kind,
        message_id=record.message_id,
        lines=len(lines),
        created=record.entries_created,
        duplicate=record.entries_duplicate,
        credited=record.credited,
        payouts=record.payouts,
        exceptions=record.exceptions,
    )


def _by_reference(line: StatementLine) -> str:
    return line.entry_reference


def _store(record: BankStatement, line: StatementLine) -> BankEntry | None:
    try:
        with transaction.atomic():
            return BankEntry.objects.create(
                statement=record,
                account_iban=record.account_iban,
                entry_reference=line.entry_reference,
                direction=str(line.direction),
                amount=line.amount,
                currency=line.currency.upper(),
                booking_date=line.booking_date,
                value_date=line.value_date,
                end_to_end_id=line.end_to_end_id[:64],
                remittance=line.remittance[:500],
                counterparty_name=line.counterparty_name[:140],
                counterparty_iban=line.counterparty_iban[:34],
                is_return=line.is_return,
                return_reason=line.return_reason[:35],
            )
    except IntegrityError:
        return None


def _act(entry: BankEntry, line: StatementLine) -> str:
    if line.direction == Direction.DEBIT or line.is_return:
        if payouts.payout_statement_line_apply(line=line, entry_id=entry.pk):
            entry.outcome = BankEntry.Outcome.PAYOUT
            entry.save(update_fields=["outcome"])
            return entry.outcome
        reason = Reason.UNMATCHED_RETURN if line.is_return else Reason.UNMATCHED_DEBIT
        exception_open(entry=entry, reason=reason, detail=_describe(line))
        return BankEntry.Outcome.EXCEPTION
    return _credit(entry, line)


def _credit(entry: BankEntry, line: StatementLine) -> str:
    user, reference, reason, detail = _match(line)
    entry.wallet_reference = reference
    if user is None:
        exception_open(entry=entry, reason=reason, detail=detail)
        entry.save(update_fields=["wallet_reference"])
        return BankEntry.Outcome.EXCEPTION
    entry.outcome = BankEntry.Outcome.CREDITED
    entry.save(update_fields=["outcome", "wallet_reference"])
    bank_deposit_credit(entry=entry, user=user, because="matched_reference")
    return entry.outcome


def _match(line: StatementLine):
    """(user, reference, "", "") for a credit that names one active wallet; else (None, reference
    or "", the exception reason, a detail for people)."""
    references = references_in(line.remittance)
    if not references:
        return None, "", Reason.NO_REFERENCE, f"no wallet reference in {line.remittance[:200]!r}"
    if len(references) > 1:
        return None, "", Reason.AMBIGUOUS_REFERENCE, f"several wallet references: {', '.join(sorted(references))}"
    reference = references.pop()
    profile = PaymentProfile.objects.filter(pk=profile_id(reference)).select_related("user").first()
    if profile is None:
        return None, reference, Reason.UNKNOWN_REFERENCE, f"{reference} is no wallet's reference"
    if not profile.user.is_active:
        return None, reference, Reason.INACTIVE_USER, f"{reference} belongs to an inactive user"
    if line.amount > settings.MAX_TRANSACTION_AMOUNT:
        return None, reference, Reason.OVER_LIMIT, f"{line.amount} is above MAX_TRANSACTION_AMOUNT"
    return profile.user, reference, "", ""


def _describe(line: StatementLine) -> str:
    parts = [f"end-to-end id {line.end_to_end_id}" if line.end_to_end_id else "no end-to-end id"]
    if line.is_return:
        parts.append(f"return reason {line.return_reason or 'none given'}")
    return "; ".join(parts) + " matches none of our payouts"


def _count(record: BankStatement, *, stored: int, duplicate: int, outcomes: list[str]) -> None:
    record.entries_created = stored
    record.entries_duplicate = duplicate
    record.credited = outcomes.count(BankEntry.Outcome.CREDITED)
    record.payouts = outcomes.count(BankEntry.Outcome.PAYOUT)
    record.exceptions = outcomes.count(BankEntry.Outcome.EXCEPTION)
    record.save(update_fields=["entries_created", "entries_duplicate", "credited", "payouts", "exceptions"])
