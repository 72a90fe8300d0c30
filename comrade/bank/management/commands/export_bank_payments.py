"""Run the `export_bank_payments` job now: write the held bank payouts into pain.001 files."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comrade.bank.services.export import payment_files_export


class Command(BaseCommand):
    help = "Gather the held bank payouts into one pain.001 file per execution date."

    def handle(self, *args, **options):
        from django.conf import settings

        if not (settings.BANK_ACCOUNT_IBAN and settings.BANK_ACCOUNT_BIC):
            raise CommandError("Set BANK_ACCOUNT_IBAN, BANK_ACCOUNT_BIC and BANK_ACCOUNT_NAME first.")
        files = payment_files_export(today=timezone.localdate())
        for payment_file in files:
            self.stdout.write(
                f"{payment_file.message_id}: {payment_file.execution_date}, {payment_file.transaction_count} payouts"
            )
        if not files:
            self.stdout.write("nothing to export")
