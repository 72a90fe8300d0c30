"""Outgoing side: withdrawals to saved bank accounts, pain.001 files, and their outcome from the
bank's statements and pain.002 reports.

Every outcome goes through `answers.answer_apply`, the one code path that applies a provider's
answer: a debit completes the payout (holding -> clearing:bank), a return or a reject fails it and
releases the hold (holding -> wallet), and a return of a payout that had already completed credits
the money back to the user's wallet once (ExternalPayment.wallet_credit is unique)."""

from django.db import transaction

from comrade.bank.formats.statement import Direction, StatementLine
from comrade.bank.models import PaymentFile, PaymentFileEntry
from comrade.gateways.providers.base import PaymentStatus
from comrade.gateways.services.answers import ProviderAnswer, answer_apply
from comrade.gateways.services.common import Outcome
from comrade.ledger.models import FailureCode

Outcomes = PaymentFileEntry.Outcome
OUT = "OUT"


def payout_statement_line_apply(*, line: StatementLine, entry_id: int) -> bool:
    """Called by the statement import for every newly stored DEBIT entry, and for every entry that
    is a return (`line.is_return`), inside the import's transaction. Returns True when the entry
    belongs to one of our payouts (matched by end-to-end id) and was applied."""
    if not line.end_to_end_id or not (line.is_return or line.direction == Direction.DEBIT):
        return False
    with transaction.atomic():
        entry = (
            PaymentFileEntry.objects.select_for_update()
            .select_related("payment__transaction", "file")
            .filter(end_to_end_id=line.end_to_end_id.strip())
            .first()
        )
        if entry is None:
            return False
        txn = entry.payment.transaction
        if line.currency.upper() != txn.currency.upper() or line.amount != entry.amount:
            _entry_note(
                entry,
                Outcomes.REVIEW,
                f"bank entry for {line.amount} {line.currency}, the payout is {entry.amount} {txn.currency}",
                entry_id,
            )
            return True
        if line.is_return:
            reason = line.return_reason or "NARR"
            answer = ProviderAnswer(
                direction=OUT,
                status=PaymentStatus.FAILED,
                failure_code=f"bank_return_{reason}"[:64].lower(),
                failure_reason=f"returned by the bank ({reason})",
            )
            result = answer_apply(payment=entry.payment, answer=answer)
            _entry_note(entry, Outcomes.RETURNED, f"{reason}: {result.outcome} {result.reason}", entry_id)
            return True
        if entry.outcome == Outcomes.RETURNED:
            # the debit of a transfer already returned: the return's credit balances it. (A debit
            # after a pain.002 reject is not balanced: answer_apply keeps it for REVIEW below.)
            _entry_note(entry, entry.outcome, f"{entry.outcome_detail}; its debit seen after", entry_id)
            return True
        result = answer_apply(
            payment=entry.payment,
            answer=ProviderAnswer(direction=OUT, status=PaymentStatus.SUCCEEDED, amount=line.amount),
        )
        outcome = Outcomes.REVIEW if result.outcome == Outcome.REVIEW else Outcomes.DEBITED
        _entry_note(entry, outcome, f"{result.outcome} {result.reason}".strip(), entry_id)
        return True


def payout_reject(*, entry: PaymentFileEntry, reason: str) -> str:
    """A pain.002 rejected this payout before it was executed: fail it and release the hold. A
    payout a statement already shows as debited is not undone by a report: kept for staff."""
    with transaction.atomic():
        entry = PaymentFileEntry.objects.select_for_update().select_related("payment__transaction").get(pk=entry.pk)
        if entry.outcome == Outcomes.DEBITED:
            _entry_note(entry, Outcomes.REVIEW, f"rejected ({reason}) after the statement showed the debit", None)
            return Outcomes.REVIEW
        if entry.outcome in (Outcomes.REJECTED, Outcomes.RETURNED):
            return "ALREADY_DONE"
        answer = ProviderAnswer(
            direction=OUT,
            status=PaymentStatus.FAILED,
            failure_code=f"bank_reject_{reason}"[:64].lower() if reason else FailureCode.PROVIDER_FAILED,
            failure_reason=f"rejected by the bank ({reason or 'no reason given'})",
        )
        result = answer_apply(payment=entry.payment, answer=answer)
        _entry_note(entry, Outcomes.REJECTED, f"{reason}: {result.outcome} {result.reason}", None)
        return Outcomes.REJECTED


def _entry_note(entry: PaymentFileEntry, outcome: str, detail: str, entry_id: int | None) -> None:
    entry.outcome = outcome
    entry.outcome_detail = detail[:255]
    if entry_id is not None and entry.bank_entry_id is None:
        entry.bank_entry_id = entry_id  # the first bank entry that decided it
    entry.save(update_fields=["outcome", "outcome_detail", "bank_entry_id", "updated"])
    _file_close_if_done(entry.file_id)


def _file_close_if_done(file_id: int) -> None:
    if not PaymentFileEntry.objects.filter(file_id=file_id, payment__resolved_at__isnull=True).exists():
        PaymentFile.objects.filter(pk=file_id).update(status=PaymentFile.Status.CLOSED)
