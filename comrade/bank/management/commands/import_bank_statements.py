from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comrade.bank.jobs import statements_inbox_import
from comrade.bank.services.statements import statement_file_import
from comrade.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import bank statement files (camt.053, camt.054, MT940) given as paths; without paths, read "
        "BANK_STATEMENT_INBOX once, as the import_bank_statements job does."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)

    def handle(self, *args, paths: list[Path], **options):
        if not paths:
            handled = statements_inbox_import(timezone.now())
            self.stdout.write(f"{handled} file(s) read from the inbox")
            return
        failed = 0
        for path in paths:
            try:
                data = path.read_bytes()
                result = statement_file_import(data=data, filename=path.name, imported_by=None, source="command")
            except (OSError, ApplicationError) as exc:
                failed += 1
                self.stderr.write(f"{path}: {getattr(exc, 'message', exc)}")
                continue
            self.stdout.write(
                f"{path}: {result.created} new, {result.duplicate} already imported, {result.credited} credited, "
                f"{result.payouts} payouts, {result.exceptions} exceptions"
            )
        if failed:
            raise CommandError(f"{failed} file(s) could not be imported")
