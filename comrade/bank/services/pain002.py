"""Importing a pain.002 status report: rejected payouts fail and their holds are released
(through `payouts.payout_reject`); accepted or settled statuses are only noted. A report that
cannot be read, or that is about no file of ours, writes nothing."""

from django.db import IntegrityError, transaction

from comrade.bank.formats.pain002 import Pain002Error, parse
from comrade.bank.models import PaymentFile, PaymentFileEntry, StatusReport
from comrade.bank.services.payouts import payout_reject
from comrade.core.errors import ApplicationError


def pain002_import(*, data: bytes, imported_by) -> StatusReport:
    try:
        report = parse(data)
    except Pain002Error as exc:
        raise ApplicationError("invalid_status_report", f"Not a readable pain.002 status report: {exc}.") from exc
    payment_file = PaymentFile.objects.filter(message_id=report.original_message_id).first()
    if payment_file is None:
        raise ApplicationError(
            "unknown_payment_file", f"The report is about {report.original_message_id}, which is not one of our files."
        )
    entries = {e.end_to_end_id: e for e in PaymentFileEntry.objects.filter(file=payment_file)}
    unknown = [t.end_to_end_id for t in report.transactions if t.end_to_end_id not in entries]
    if unknown:
        raise ApplicationError(
            "unknown_end_to_end_id",
            f"The report names payouts that are not in {payment_file.message_id}: {unknown[:5]}.",
        )
    rejected: dict[str, str] = {}
    if report.group_status == "RJCT":
        rejected = {e2e: report.group_reason for e2e in entries}
    elif any(status == "RJCT" for _, status, _ in report.payment_statuses):
        # one payment information block per file: a rejected block rejects the file's payouts
        reason = next(r for _, status, r in report.payment_statuses if status == "RJCT")
        rejected = {e2e: reason for e2e in entries}
    for tx in report.transactions:
        if tx.status == "RJCT":
            rejected[tx.end_to_end_id] = tx.reason or rejected.get(tx.end_to_end_id, "")
    noted = {tx.end_to_end_id: tx.status for tx in report.transactions if tx.status != "RJCT"}
    try:
        with transaction.atomic():
            stored = StatusReport.objects.create(
                message_id=report.message_id or f"{report.original_message_id}-report",
                original_message_id=report.original_message_id,
                file=payment_file,
                group_status=report.group_status,
                imported_by=imported_by,
                summary={},
            )
            outcomes = {e2e: payout_reject(entry=entries[e2e], reason=reason) for e2e, reason in rejected.items()}
            stored.summary = {
                "version": report.version,
                "group_status": report.group_status,
                "group_reason": report.group_reason,
                "rejected": {e2e: {"reason": rejected[e2e], "outcome": str(o)} for e2e, o in outcomes.items()},
                "noted": noted,
            }
            stored.save(update_fields=["summary"])
    except IntegrityError as exc:
        raise ApplicationError(
            "duplicate_status_report", f"The status report {report.message_id} was already imported."
        ) from exc
    return stored
