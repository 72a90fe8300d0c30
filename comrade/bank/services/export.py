"""The job `export_bank_payments`: the held bank payouts not yet in a file go into one pain.001
file per requested execution date (and currency; a deployment has one, DEFAULT_CURRENCY). A payout
is in at most one file (PaymentFileEntry.payment is unique); two exports racing lock the payouts
they take (SKIP LOCKED), so each payout lands in exactly one of them."""

import logging
from collections import defaultdict
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comrade.bank.formats import pain001
from comrade.bank.models import PaymentFile, PaymentFileEntry
from comrade.bank.services.accounts import PROVIDER, destination_decode
from comrade.gateways.models import ExternalPayment
from comrade.ledger.models import TransactionStatus

logger = logging.getLogger(__name__)
BATCH = 5000


def end_to_end_id(token: str) -> str:
    """Our reference in the 35 characters an EndToEndId allows: TXN-<uuid> without the prefix and
    the dashes (32 hex digits), unique as the token is."""
    return token.removeprefix("TXN-").replace("-", "")[:35]


def _execution_date(payment: ExternalPayment, today: date) -> date:
    requested = payment.transaction.metadata.get("execution_date")
    wanted = date.fromisoformat(requested) if requested else today
    return max(wanted, today)


def payment_files_export(*, today: date | None = None) -> list[PaymentFile]:
    today = today or timezone.localdate()
    with transaction.atomic():
        payments = list(
            # the payout and its transaction, so nothing answers the payout while it is being filed
            ExternalPayment.objects.select_for_update(skip_locked=True, of=("self", "transaction"))
            .select_related("transaction")
            .filter(
                provider=PROVIDER,
                direction=ExternalPayment.Direction.OUT,
                resolved_at__isnull=True,
                transaction__status=TransactionStatus.AUTHORIZED,
                bank_file_entry__isnull=True,
            )
            .order_by("id")[:BATCH]
        )
        # Taken under lock: drop any another export filed between our read and our lock.
        filed = set(PaymentFileEntry.objects.filter(payment__in=payments).values_list("payment_id", flat=True))
        groups: dict[tuple[date, str], list[ExternalPayment]] = defaultdict(list)
        for payment in payments:
            if payment.pk not in filed:
                groups[(_execution_date(payment, today), payment.transaction.currency.upper())].append(payment)
        return [_file_write(execution, currency, group) for (execution, currency), group in sorted(groups.items())]


def _file_write(execution: date, currency: str, payments: list[ExternalPayment]) -> PaymentFile:
    transfers = []
    for payment in payments:
        iban, bic, name = destination_decode(payment.destination)
        txn = payment.transaction
        transfers.append(
            pain001.Transfer(
                end_to_end_id=end_to_end_id(txn.token),
                amount=txn.amount,
                creditor_name=name,
                creditor_iban=iban,
                creditor_bic=bic,
                remittance=f"Comrade Pay withdrawal {end_to_end_id(txn.token)}",
            )
        )
    message_id, xml = pain001.build(
        debtor_name=settings.BANK_ACCOUNT_NAME,
        debtor_iban=settings.BANK_ACCOUNT_IBAN,
        debtor_bic=settings.BANK_ACCOUNT_BIC,
        currency=currency,
        execution_date=execution,
        transfers=transfers,
    )
    payment_file = PaymentFile.objects.create(
        message_id=message_id,
        execution_date=execution,
        currency=currency,
        schema=pain001.SCHEMA,
        xml=xml.decode("utf-8"),
        transaction_count=len(transfers),
        control_sum=sum((t.amount for t in transfers), start=0),
    )
    PaymentFileEntry.objects.bulk_create(
        PaymentFileEntry(
            file=payment_file,
            payment=payment,
            end_to_end_id=transfer.end_to_end_id,
            amount=transfer.amount,
            creditor_name=transfer.creditor_name,
            creditor_iban=transfer.creditor_iban,
            creditor_bic=transfer.creditor_bic,
        )
        for payment, transfer in zip(payments, transfers, strict=True)
    )
    logger.info("bank payment file %s: %s payouts for %s", message_id, len(transfers), execution)
    return payment_file


def bank_payments_export(now: datetime) -> int:
    """Job: returns how many payouts were written into files. Does nothing while the bank
    provider is not configured."""
    if not (settings.BANK_ACCOUNT_IBAN and settings.BANK_ACCOUNT_BIC):
        return 0
    return sum(f.transaction_count for f in payment_files_export(today=timezone.localdate(now)))
