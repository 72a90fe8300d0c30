"""Outgoing side: withdrawals to saved bank accounts, pain.001 files, and their outcome from the
bank's statements and pain.002 reports."""

from comrade.bank.formats.statement import StatementLine


def payout_statement_line_apply(*, line: StatementLine, entry_id: int) -> bool:
    """Called by the statement import for every newly stored DEBIT entry, and for every entry that
    is a return (`line.is_return`), inside the import's transaction. Returns True when the entry
    belongs to one of our payouts (matched by end-to-end id) and was applied."""
    return False
